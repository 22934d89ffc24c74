"""The ``skii-glass simulate`` command line."""

import json

import numpy as np
import pytest

from skii_glass.cli import main
from skii_glass.io import read_xyz, write_xyz
from skii_glass.simulation import potential_energy, random_configuration

BASE = ["simulate", "--n-particles", "80", "--temperature", "2.0", "--equilibration-sweeps",
        "60", "--sweeps", "50", "--melt-sweeps", "20", "--seed", "5", "--quiet",
        "--checkpoint-every", "20"]


def last_json(capsys):
    out = capsys.readouterr().out.strip().splitlines()
    return json.loads(out[-1])


def test_simulate_writes_files_and_json(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(BASE + ["--out", str(out)]) == 0
    s = last_json(capsys)
    for key in ("energy_per_particle", "acceptance", "trial_moves_per_second", "sweeps",
                "temperature", "n_particles", "seed", "files"):
        assert key in s
    assert s["sweeps"] == 50 and s["n_particles"] == 80 and s["seed"] == 5
    assert 0.5 < s["acceptance"] < 0.95 and s["trial_moves_per_second"] > 0
    final = read_xyz(s["files"]["final"])
    traj = np.load(s["files"]["trajectory"])
    assert traj["positions"].shape == (traj["times"].size, 80, 2)
    assert traj["times"][0] == 0 and traj["times"][-1] == 50
    np.testing.assert_allclose(np.mod(traj["positions"][-1], traj["box"]), final.positions,
                               atol=1e-12)
    assert traj["energies"].shape == (50,)
    assert s["energy_per_particle"] == pytest.approx(traj["energies"].mean())
    assert traj["energies"][-1] == pytest.approx(potential_energy(final) / 80, abs=1e-10)
    assert json.loads((out / "summary.json").read_text()) == s
    # 60 + 50 sweeps from a melt: no honest verdict on equilibration from so little.
    eq = s["equilibration"]
    assert eq["flat"] in (False, "too short to judge")
    if eq["flat"] is False:
        assert abs(eq["production_minus_second_half"]) >= 2 * eq["difference_stderr"]
    # rerunning the same command resumes from the finished checkpoints: same numbers
    assert main(BASE + ["--out", str(out)]) == 0
    again = last_json(capsys)
    assert again["trial_moves_per_second"] is None
    again.pop("trial_moves_per_second")
    s.pop("trial_moves_per_second")
    assert again == s


def test_simulate_resume_after_lost_production(tmp_path, capsys):
    out = tmp_path / "run"
    main(BASE + ["--out", str(out)])
    first = last_json(capsys)
    traj1 = np.load(out / "trajectory.npz")["positions"]
    # as if killed during production: only the equilibration checkpoint survives
    (out / "production.ckpt.npz").unlink()
    (out / "trajectory.npz").unlink()
    main(BASE + ["--out", str(out)])
    second = last_json(capsys)
    assert second["energy_per_particle"] == first["energy_per_particle"]
    np.testing.assert_array_equal(np.load(out / "trajectory.npz")["positions"], traj1)


def test_simulate_replicas_independent_of_n_jobs(tmp_path, capsys):
    args = BASE + ["--replicas", "2"]
    main(args + ["--n-jobs", "2", "--out", str(tmp_path / "a")])
    a = last_json(capsys)
    main(args + ["--n-jobs", "1", "--out", str(tmp_path / "b")])
    b = last_json(capsys)
    assert len(a["replicas"]) == 2
    ea = [r["energy_per_particle"] for r in a["replicas"]]
    assert ea == [r["energy_per_particle"] for r in b["replicas"]]
    assert ea[0] != ea[1]
    assert a["energy_per_particle"] == pytest.approx(np.mean(ea))
    assert (tmp_path / "a" / "replica_001" / "final.xyz").exists()


def test_simulate_from_start_file_with_swaps(tmp_path, capsys):
    start = random_configuration("ka2d", 70, seed=1)
    write_xyz(tmp_path / "start.xyz", start)
    with pytest.warns(RuntimeWarning, match="still drifting"):  # 40 sweeps from a lattice
        code = main(["simulate", "--start", str(tmp_path / "start.xyz"), "--temperature",
                     "1.5", "--equilibration-sweeps", "40", "--swap-probability", "0.2",
                     "--sweeps", "10", "--quiet", "--seed", "3", "--out", str(tmp_path / "o")])
    assert code == 0
    s = last_json(capsys)
    assert s["n_particles"] == 70 and s["equilibration"]["swap_acceptance"] > 0


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--temperature", "0"], "temperature"),
        (["--temperature", "-1"], "temperature"),
        (["--preset", "nope"], "unknown preset"),
        (["--swap-probability", "2"], "swap-probability"),
        (["--n-particles", "20"], "too small"),
        (["--max-displacement", "nan"], "max-displacement"),
        (["--max-displacement", "-1"], "max-displacement"),
        (["--seed", "-3"], "--seed"),
        (["--n-jobs", "0"], "--n-jobs"),
    ],
)
def test_simulate_bad_input(tmp_path, capsys, extra, message):
    assert main(BASE + extra + ["--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
    # A failed validation leaves no folder (no stale seed.txt for the corrected command).
    assert not (tmp_path / "x").exists()


def test_simulate_help(capsys):
    with pytest.raises(SystemExit):
        main(["simulate", "--help"])
    text = capsys.readouterr().out
    assert "sweep" in text and "min(1, exp(-dE/T))" in text and "--max-displacement" in text


def test_simulate_without_seed_resumes_with_the_stored_one(tmp_path, capsys):
    args = [a for a in BASE if a not in ("--seed", "5")] + ["--out", str(tmp_path / "o")]
    main(args)
    first = last_json(capsys)
    assert (tmp_path / "o" / "seed.txt").read_text().strip() == str(first["seed"])
    main(args)
    second = last_json(capsys)
    assert second["seed"] == first["seed"]
    assert second["energy_per_particle"] == first["energy_per_particle"]
