import json

import joblib
import numpy as np
import pandas as pd
import pytest

from skii_glass import Configuration
from skii_glass.cli import main
from skii_glass.dynamics import (
    bond_breaking,
    cage_neighbors,
    cage_relative_displacements,
    displacements,
)
from skii_glass.io import write_xyz
from skii_glass.propensity import iso_configurational
from skii_glass.simulation import random_configuration, run_mc

N = 80
T = 2.0
TIMES = [4, 12]


@pytest.fixture(scope="module")
def config():
    # A short melt from the soft random start, so the test starts from a liquid.
    c = random_configuration("ka2d", N, seed=3)
    return run_mc(c, T, 30, seed=4).final


@pytest.fixture(scope="module")
def serial(config):
    return iso_configurational(config, T, TIMES, n_trajectories=4, seed=11, n_jobs=1)


def _assert_same(a, b):
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.per_trajectory_displacement, b.per_trajectory_displacement)
    np.testing.assert_array_equal(a.per_trajectory_bond_breaking, b.per_trajectory_bond_breaking)
    np.testing.assert_array_equal(a.displacement, b.displacement)
    np.testing.assert_array_equal(a.bond_breaking, b.bond_breaking)
    np.testing.assert_array_equal(a.fs_cr, b.fs_cr)


def test_matches_manual_computation(config, serial):
    children = np.random.SeedSequence(11).spawn(4)
    nl = cage_neighbors(config.positions, config.species, config.box, config.mixture.sigma)
    disp, bb = [], []
    for child in children:
        res = run_mc(config, T, max(TIMES), seed=child, sample_times=TIMES)
        assert res.times.tolist() == [0, *TIMES]
        dr = cage_relative_displacements(displacements(res.positions), nl)
        disp.append(np.linalg.norm(dr[1:], axis=2))
        bb.append(bond_breaking(res.positions, config.species, config.box,
                                config.mixture.sigma)[1:])
    np.testing.assert_allclose(serial.per_trajectory_displacement, disp, rtol=1e-12)
    np.testing.assert_allclose(serial.displacement, np.mean(disp, axis=0), rtol=1e-12)
    np.testing.assert_allclose(serial.bond_breaking, np.mean(bb, axis=0), rtol=1e-12)
    assert serial.displacement.shape == (2, N)
    assert serial.n_trajectories == 4


def test_physical_sanity(serial):
    # Particles move more, and lose more bonds, at the later time; trajectories differ.
    assert serial.displacement[1].mean() > serial.displacement[0].mean() > 0
    assert serial.bond_breaking[1].mean() >= serial.bond_breaking[0].mean()
    assert np.all((serial.bond_breaking >= 0) & (serial.bond_breaking <= 1))
    pt = serial.per_trajectory_displacement
    assert not np.array_equal(pt[0], pt[1])
    assert np.all(serial.fs_cr <= 1) and np.all(serial.fs_cr[:, 1] < 1)
    assert np.all((serial.acceptance > 0.3) & (serial.acceptance < 1))


def test_independent_of_n_jobs(config, serial):
    two = iso_configurational(config, T, TIMES, n_trajectories=4, seed=11, n_jobs=2)
    _assert_same(serial, two)
    # threading backend too (different process model, same answer)
    with joblib.parallel_config(backend="threading"):
        thr = iso_configurational(config, T, TIMES, n_trajectories=4, seed=11, n_jobs=2)
    _assert_same(serial, thr)


def test_trajectory_m_does_not_depend_on_ensemble_size(config, serial):
    # SeedSequence.spawn keys children by index, so the first trajectories coincide.
    small = iso_configurational(config, T, TIMES, n_trajectories=2, seed=11)
    np.testing.assert_array_equal(
        small.per_trajectory_displacement, serial.per_trajectory_displacement[:2]
    )


def test_dask_local_cluster(config, serial):
    import distributed  # in the test extra: a missing dask fails, never skips
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster, distributed.Client(cluster) as client:
        with joblib.parallel_config(backend="dask"):
            res = iso_configurational(config, T, TIMES, n_trajectories=4, seed=11)
        # the work really ran on the cluster's worker processes
        assert len(client.scheduler_info()["workers"]) == 2
        assert sum(client.run(lambda: 1).values()) == 2
    _assert_same(serial, res)


def test_to_frame(serial):
    df = serial.to_frame()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == N
    assert list(df.columns[:4]) == ["particle", "species", "x", "y"]
    np.testing.assert_array_equal(df["displacement_t12"], serial.displacement[1])
    np.testing.assert_array_equal(df["bond_breaking_t4"], serial.bond_breaking[0])


def test_bad_inputs(config):
    with pytest.raises(ValueError, match="temperature"):
        iso_configurational(config, 0.0, 5)
    with pytest.raises(ValueError, match="temperature"):
        iso_configurational(config, float("nan"), 5)
    with pytest.raises(ValueError, match="positive"):
        iso_configurational(config, T, [0, 5])
    with pytest.raises(ValueError, match="whole numbers"):
        iso_configurational(config, T, 2.5)
    with pytest.raises(ValueError, match="n_trajectories"):
        iso_configurational(config, T, 5, n_trajectories=0)
    with pytest.raises(ValueError, match="max_displacement"):
        iso_configurational(config, T, 5, max_displacement=-0.1)
    with pytest.raises(ValueError, match="Configuration"):
        iso_configurational(config.positions, T, 5)
    pos = config.positions.copy()
    pos[1] = pos[0] + 0.01
    with pytest.raises(ValueError, match="overlap"):
        iso_configurational(Configuration(pos, config.species, config.box), T, 5)


def test_cli(tmp_path, config, serial, capsys):
    path = tmp_path / "start.xyz"
    write_xyz(path, config)
    out = tmp_path / "prop"
    rc = main([
        "propensity", str(path), "--temperature", str(T), "--time", "12", "4",
        "--trajectories", "4", "--out", str(out), "--seed", "11", "--n-jobs", "2",
    ])
    assert rc == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert summary["times"] == TIMES and summary["n_trajectories"] == 4
    assert summary["seed"] == 11 and summary["n_particles"] == N
    assert "trajectories" in captured.err  # progress bar on stderr
    np.testing.assert_allclose(
        summary["mean_displacement_propensity"], serial.displacement.mean(axis=1), rtol=1e-12
    )
    df = pd.read_csv(out / "propensity.csv")
    assert len(df) == N
    np.testing.assert_allclose(df["displacement_t12"], serial.displacement[1], rtol=1e-7)
    np.testing.assert_allclose(df["bond_breaking_t4"], serial.bond_breaking[0], rtol=1e-7)
    data = np.load(out / "propensity.npz")
    np.testing.assert_array_equal(data["displacement"], serial.displacement)
    np.testing.assert_array_equal(data["per_trajectory_bond_breaking"],
                                  serial.per_trajectory_bond_breaking)
    np.testing.assert_array_equal(data["positions"], config.positions)


def test_cli_errors(tmp_path, capsys):
    rc = main(["propensity", str(tmp_path / "missing.xyz"), "--temperature", "1",
               "--time", "5", "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "missing.xyz" in capsys.readouterr().err
    bad = tmp_path / "bad.xyz"
    bad.write_text("3\nnot a lattice\n")
    rc = main(["propensity", str(bad), "--temperature", "1", "--time", "5",
               "--out", str(tmp_path / "o")])
    assert rc == 2
    assert "bad.xyz" in capsys.readouterr().err
    c = random_configuration("ka2d", N, seed=0)
    good = tmp_path / "c.xyz"
    write_xyz(good, c)
    rc = main(["propensity", str(good), "--temperature", "-1", "--time", "5",
               "--out", str(tmp_path / "o"), "--quiet"])
    assert rc == 2
    assert "temperature" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()  # no seed.txt left behind
    rc = main(["propensity", str(good), "--temperature", "1", "--time", "5",
               "--preset", "nosuch", "--out", str(tmp_path / "o"), "--quiet"])
    assert rc == 2
    assert "--preset nosuch: unknown model" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_checkpoint_resume_identical(tmp_path, config, serial):
    ckpt = tmp_path / "ck"
    first = iso_configurational(config, T, TIMES, n_trajectories=4, seed=11,
                                checkpoint_dir=ckpt)
    _assert_same(serial, first)
    files = sorted(p.name for p in ckpt.iterdir())
    assert files == [f"trajectory_{m:04d}.npz" for m in range(4)]
    # "killed" after two trajectories: the rerun computes only the missing ones
    (ckpt / "trajectory_0001.npz").unlink()
    (ckpt / "trajectory_0003.npz").unlink()
    resumed = iso_configurational(config, T, TIMES, n_trajectories=4, seed=11,
                                  checkpoint_dir=ckpt, n_jobs=2)
    assert resumed.info["trajectories_run"] == 2
    assert resumed.info["trajectories_loaded"] == 2
    _assert_same(serial, resumed)
    # a finished ensemble is read back without running anything
    again = iso_configurational(config, T, TIMES, n_trajectories=4, seed=11,
                                checkpoint_dir=ckpt)
    assert again.info["trajectories_run"] == 0
    _assert_same(serial, again)


def test_checkpoint_from_other_ensemble_or_damaged(tmp_path, config):
    ckpt = tmp_path / "ck"
    iso_configurational(config, T, [4], n_trajectories=1, seed=1, checkpoint_dir=ckpt)
    with pytest.raises(ValueError, match="different ensemble"):
        iso_configurational(config, T, [4], n_trajectories=1, seed=2, checkpoint_dir=ckpt)
    with pytest.raises(ValueError, match="different ensemble"):
        iso_configurational(config, 1.5, [4], n_trajectories=1, seed=1, checkpoint_dir=ckpt)
    (ckpt / "trajectory_0000.npz").write_bytes(b"garbage")
    with pytest.raises(ValueError, match="unreadable trajectory checkpoint"):
        iso_configurational(config, T, [4], n_trajectories=1, seed=1, checkpoint_dir=ckpt)


def test_cli_resume_without_seed(tmp_path, config, capsys):
    path = tmp_path / "start.xyz"
    write_xyz(path, config)
    out = tmp_path / "prop"
    argv = ["propensity", str(path), "-T", str(T), "--time", "4", "--trajectories", "3",
            "--out", str(out), "--quiet"]
    assert main(argv) == 0
    s1 = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    seed = int((out / "seed.txt").read_text())
    assert s1["seed"] == seed and s1["trajectories_run"] == 3
    (out / "trajectories" / "trajectory_0002.npz").unlink()
    assert main(argv) == 0
    s2 = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert s2["seed"] == seed
    assert s2["trajectories_run"] == 1 and s2["trajectories_loaded"] == 2
    assert s2["mean_displacement_propensity"] == s1["mean_displacement_propensity"]
