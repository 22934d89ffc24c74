"""Propensities from user trajectories (``propensity_from_trajectories`` and its command)."""

import json

import numpy as np
import pandas as pd
import pytest

from skii_glass import Trajectory, get_preset, propensity_from_trajectories, read_configuration
from skii_glass.cli import main
from skii_glass.propensity import iso_configurational
from skii_glass.simulation import random_configuration, run_mc

T = 2.0
TIMES = [4, 12]


def _write_dump(path, times, positions, species, box, *, steps_per_unit=100):
    """A LAMMPS dump with unwrapped coordinates, atoms in a shuffled id order."""
    n = positions.shape[1]
    order = np.random.default_rng(0).permutation(n)
    lines = []
    for t, pos in zip(times, positions, strict=True):
        lines += ["ITEM: TIMESTEP", str(int(t * steps_per_unit)), "ITEM: NUMBER OF ATOMS",
                  str(n), "ITEM: BOX BOUNDS pp pp pp", f"0.0 {float(box[0])!r}",
                  f"0.0 {float(box[1])!r}", "-0.5 0.5", "ITEM: ATOMS id type xu yu zu"]
        lines += [f"{i + 1} {species[i] + 1} {float(pos[i, 0])!r} {float(pos[i, 1])!r} 0"
                  for i in order]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def ensemble():
    c = run_mc(random_configuration("ka2d", 80, seed=3), T, 30, seed=4).final
    ref = iso_configurational(c, T, TIMES, n_trajectories=3, seed=11, n_jobs=1)
    runs = [run_mc(c, T, max(TIMES), seed=child, sample_times=TIMES)
            for child in np.random.SeedSequence(11).spawn(3)]
    return c, ref, runs


def test_dumps_of_our_own_ensemble_give_its_propensities(tmp_path, ensemble, capsys):
    c, ref, runs = ensemble
    files = []
    for m, r in enumerate(runs):
        files.append(tmp_path / f"run{m}.lammpstrj")
        _write_dump(files[-1], r.times, r.positions, c.species, c.box)
    out = tmp_path / "prop"
    assert main(["propensity-from-trajectories", *map(str, files), "--time", "12",
                 "--timestep", "0.01", "--configuration", "2", "--out", str(out)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["n_trajectories"] == 3 and summary["configuration"] == 2
    df = pd.read_csv(out / "propensity.csv")
    assert list(df.columns) == ["configuration", "particle", "species", "propensity",
                                "displacement_plain", "bond_breaking"]
    assert (df["configuration"] == 2).all() and df["particle"].tolist() == list(range(80))
    np.testing.assert_allclose(df["propensity"], ref.displacement[1], rtol=1e-7)
    np.testing.assert_allclose(df["displacement_plain"], ref.displacement_plain[1], rtol=1e-7)
    np.testing.assert_allclose(df["bond_breaking"], ref.bond_breaking[1], rtol=1e-7)
    start = read_configuration(out / "configuration.xyz")
    np.testing.assert_allclose(start.positions, c.positions, atol=1e-12)
    # The Python function, both times at once, exactly the same arrays.
    trajs = [Trajectory(r.positions, c.species, c.box, r.times, c.mixture, f"r{m}")
             for m, r in enumerate(runs)]
    res = propensity_from_trajectories(trajs, TIMES)
    np.testing.assert_array_equal(res.per_trajectory_displacement,
                                  ref.per_trajectory_displacement)
    np.testing.assert_array_equal(res.bond_breaking, ref.bond_breaking)
    np.testing.assert_array_equal(res.fs_cr, ref.fs_cr)


def test_matches_brute_force_numpy():
    rng = np.random.default_rng(1)
    n, box = 40, np.array([7.0, 6.5])
    mix = get_preset("ka2d")
    species = rng.integers(0, 3, n)
    start = rng.uniform(0, 1, (n, 2)) * box
    trajs = [Trajectory(np.stack([start, start + rng.normal(0, 0.4, (n, 2))]), species, box,
                        np.array([10.0, 30.0]), mix, f"t{m}") for m in range(3)]
    res = propensity_from_trajectories(trajs, 20.0)
    sig = mix.sigma[species[:, None], species[None, :]]
    d0 = start[None, :] - start[:, None]
    d0 -= box * np.rint(d0 / box)
    r0 = np.hypot(d0[..., 0], d0[..., 1])
    bonded = (r0 < 1.4 * sig) & ~np.eye(n, dtype=bool)
    disp, bb = [], []
    for tr in trajs:
        dr = tr.positions[1] - tr.positions[0]
        dr = dr - dr.mean(axis=0)
        cage = np.array([dr[bonded[i]].mean(axis=0) if bonded[i].any() else 0 * dr[i]
                         for i in range(n)])
        disp.append(np.hypot(*(dr - cage).T))
        d1 = tr.positions[1][None, :] - tr.positions[1][:, None]
        d1 -= box * np.rint(d1 / box)
        intact = bonded & (np.hypot(d1[..., 0], d1[..., 1]) < 1.8 * sig)
        counts = bonded.sum(axis=1)
        bb.append(np.where(counts > 0, 1 - intact.sum(axis=1) / np.maximum(counts, 1), 0))
    np.testing.assert_allclose(res.displacement[0], np.mean(disp, axis=0), rtol=1e-12)
    np.testing.assert_allclose(res.bond_breaking[0], np.mean(bb, axis=0), rtol=1e-12)


def test_bad_input(tmp_path, ensemble, capsys):
    c, _, runs = ensemble
    r = runs[0]
    good, other = tmp_path / "a.lammpstrj", tmp_path / "b.lammpstrj"
    _write_dump(good, r.times, r.positions, c.species, c.box)
    moved = r.positions.copy()
    moved[:, 5] += 0.3
    _write_dump(other, r.times, moved, c.species, c.box)
    cases = [
        ([str(good), str(other), "--time", "12", "--timestep", "0.01"],
         "b.lammpstrj: the first frame differs from"),
        ([str(good), "--time", "7", "--timestep", "0.01"],
         "a.lammpstrj: no frame at time 7 after the first (frames at 0, 4, 12)"),
        ([str(good), "--time", "1200", "--species-map", "1=A,2=B"],
         "label '3' of the file is not in the species map"),
        ([str(good), "--time", "-1"], "--time must be positive"),
    ]
    short = tmp_path / "c.lammpstrj"
    _write_dump(short, r.times, r.positions[:, :70], c.species[:70], c.box)
    cases.append(([str(good), str(short), "--time", "1200"], "c.lammpstrj: 70 particles"))
    for argv, message in cases:
        out = tmp_path / "never"
        assert main(["propensity-from-trajectories", *argv, "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert message in err and "error:" in err, err
        assert not out.exists()  # nothing written for a failed validation
