"""LAMMPS text dumps, species maps, periodicity checks and trajectories of user files.

Dump text is composed here from the format of the LAMMPS manual (``dump`` command), not
with our own writer (we have none); ASE's reader is an independent reference.
"""

import numpy as np
import pandas as pd
import pytest

from skii_glass import Configuration, Trajectory, read_configuration, read_trajectory
from skii_glass.cli import main
from skii_glass.cli._inputs import parse_species_map
from skii_glass.io import read_gsd, read_lammps_dump, read_xyz, write_gsd, write_xyz
from skii_glass.lammps import is_lammps_dump, read_dump_frames

LO = np.array([-3.0, 1.5])
BOX = np.array([7.0, 6.0])


def _system(n=12, seed=0):
    """Wrapped positions in [0, L), integer image flags, types 1..3 (each present)."""
    rng = np.random.default_rng(seed)
    # Distinct cells of a unit grid, jittered: no two particles overlap (describe rejects
    # overlaps), yet the positions are irregular.
    cells = rng.choice(int(BOX[0]) * int(BOX[1]), size=n, replace=False)
    grid = np.c_[cells % int(BOX[0]), cells // int(BOX[0])] + 0.5
    pos = grid + rng.uniform(-0.15, 0.15, (n, 2))
    image = rng.integers(-2, 3, (n, 2))
    types = np.resize([1, 2, 3], n)
    rng.shuffle(types)
    return pos, image, types


def _f(value) -> str:
    return repr(float(value))


def _dump(frames, columns, *, flags="pp pp pp", order=None, lo=LO, box=BOX):
    """Text of a LAMMPS dump: frames are (timestep, pos_wrapped, image, types)."""
    out = []
    for step, pos, image, types in frames:
        n = len(pos)
        idx = np.arange(n) if order is None else order
        out += ["ITEM: TIMESTEP", str(step), "ITEM: NUMBER OF ATOMS", str(n),
                f"ITEM: BOX BOUNDS {flags}".rstrip(),
                f"{_f(lo[0])} {_f(lo[0] + box[0])}", f"{_f(lo[1])} {_f(lo[1] + box[1])}",
                "-0.5 0.5", "ITEM: ATOMS " + " ".join(columns)]
        for i in idx:
            unwrapped = pos[i] + image[i] * box
            values = {
                "id": str(i + 1), "type": str(types[i]),
                "element": {1: "H", 2: "He", 3: "Li"}.get(types[i], "X"),
                "x": _f(pos[i, 0] + lo[0]), "y": _f(pos[i, 1] + lo[1]), "z": "0.0",
                "xu": _f(unwrapped[0] + lo[0]), "yu": _f(unwrapped[1] + lo[1]), "zu": "0",
                "xs": _f(pos[i, 0] / box[0]), "ys": _f(pos[i, 1] / box[1]),
                "xsu": _f(unwrapped[0] / box[0]), "ysu": _f(unwrapped[1] / box[1]),
                "ix": str(image[i, 0]), "iy": str(image[i, 1]), "iz": "0",
                "vx": "0.25", "c_pe": "-3.5",
            }
            out.append(" ".join(values[c] for c in columns))
    return "\n".join(out) + "\n"


def _write(tmp_path, text, name="run.lammpstrj"):
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    "columns, unwrapped",
    [
        (["id", "type", "x", "y", "z"], False),
        (["id", "type", "x", "y", "z", "ix", "iy", "iz"], True),
        (["id", "type", "xu", "yu", "zu", "vx"], True),
        (["id", "type", "xs", "ys", "z"], False),
        (["id", "type", "xsu", "ysu", "c_pe"], True),
        (["type", "xu", "yu"], True),  # the glass-ML roadmap's files: no id column
    ],
)
def test_dump_columns_give_the_configuration(tmp_path, columns, unwrapped):
    pos, image, types = _system()
    rng = np.random.default_rng(1)
    order = rng.permutation(len(pos)) if "id" in columns else None
    p = _write(tmp_path, _dump([(500, pos, image, types)], columns, order=order))
    c = read_configuration(p)
    np.testing.assert_allclose(c.positions, pos, atol=1e-9)
    np.testing.assert_array_equal(c.species, types - 1)  # type 1 -> A, 2 -> B, 3 -> C
    np.testing.assert_allclose(c.box, BOX)
    (frame,) = read_dump_frames(p)
    assert frame.unwrapped is unwrapped and frame.timestep == 500
    want = pos + image * BOX if unwrapped else pos
    np.testing.assert_allclose(frame.positions, want, atol=1e-9)


def test_dump_agrees_with_ase_reader(tmp_path):
    ase_io = pytest.importorskip("ase.io")
    pos, image, types = _system(n=20, seed=3)
    order = np.random.default_rng(2).permutation(20)
    p = _write(tmp_path, _dump([(0, pos, image, types)], ["id", "type", "x", "y", "z"],
                               order=order))
    atoms = ase_io.read(p, format="lammps-dump-text")
    ours = read_configuration(p)
    # ase sorts by id too.
    # ase keeps the absolute coordinates (the box starts at LO).
    np.testing.assert_allclose(atoms.positions[:, :2] - LO, ours.positions, atol=1e-9)
    np.testing.assert_allclose(atoms.cell.diagonal()[:2], ours.box)
    np.testing.assert_array_equal(atoms.numbers, ours.species + 1)


def test_dump_named_xyz_is_recognised_by_content(tmp_path):
    pos, image, types = _system()
    p = _write(tmp_path, _dump([(0, pos, image, types)], ["type", "xu", "yu"]), "data.xyz")
    assert is_lammps_dump(p)
    np.testing.assert_allclose(read_configuration(p).positions, pos, atol=1e-9)


def test_dump_multi_frame_index_and_trajectory(tmp_path):
    pos, image, types = _system(seed=4)
    rng = np.random.default_rng(5)
    step = rng.normal(0, 0.05, pos.shape)
    true = [pos + image * BOX, pos + image * BOX + step, pos + image * BOX + 2 * step]
    frames = [(t, np.mod(u, BOX), np.floor_divide(u, BOX).astype(int), types)
              for t, u in zip([0, 100, 200], true, strict=True)]
    # Unwrapped through image flags, and wrapped without them (minimum-image unwrapping).
    for columns in (["id", "type", "x", "y", "ix", "iy"], ["id", "type", "x", "y"]):
        p = _write(tmp_path, _dump(frames, columns))
        np.testing.assert_allclose(read_configuration(p, index=1).positions,
                                   np.mod(true[1], BOX), atol=1e-9)
        traj = read_trajectory(p, timestep=0.005)
        assert isinstance(traj, Trajectory) and traj.positions.shape == (3, 12, 2)
        np.testing.assert_allclose(traj.times, [0.0, 0.5, 1.0])
        shift = true[0] - traj.positions[0]  # without image flags: up to whole boxes
        np.testing.assert_allclose(shift / BOX, np.rint(shift / BOX), atol=1e-9)
        np.testing.assert_allclose(traj.positions + shift, np.stack(true), atol=1e-9)
    with pytest.raises(ValueError, match="frame 3 out of range"):
        read_configuration(p, index=3)


def test_species_map_numeric_and_element_labels(tmp_path):
    pos, image, types = _system()
    p = _write(tmp_path, _dump([(0, pos, image, types)], ["id", "element", "xu", "yu"]))
    with pytest.raises(ValueError, match=r"unknown species 'H'.*--species-map"):
        read_configuration(p)
    c = read_configuration(p, species_map={"H": "C", "He": "A", "Li": "B"})
    np.testing.assert_array_equal(c.species_names, np.array(["C", "A", "B"])[types - 1])
    p2 = _write(tmp_path, _dump([(0, pos, image, types)], ["id", "type", "xu", "yu"]), "t.dump")
    c2 = read_configuration(p2, species_map={1: "B", 2: "C", 3: "A"})
    np.testing.assert_array_equal(c2.species_names, np.array(["B", "C", "A"])[types - 1])
    with pytest.raises(ValueError, match=r"label '3' of the file is not in the species map"):
        read_configuration(p2, species_map={1: "A", 2: "B"})
    with pytest.raises(ValueError, match=r"sends 1 to 'Q', which is not a species"):
        read_configuration(p2, species_map={1: "Q", 2: "B", 3: "C"})


def test_type_beyond_the_model_species_is_an_error(tmp_path):
    pos, image, types = _system()
    types = types.copy()
    types[0] = 4
    p = _write(tmp_path, _dump([(0, pos, image, types)], ["id", "type", "x", "y"]))
    with pytest.raises(ValueError, match=r"run.lammpstrj:1 \(frame 0\): type 4 has no species"):
        read_configuration(p)


def _edit(text, old, new):
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    "edit, match",
    [
        (lambda t: _edit(t, "ITEM: ATOMS id type x y z", "ITEM: ATOMS id type z"),
         r":9: no x/y coordinate columns .* dump one pair of 'x y'"),
        (lambda t: _edit(t, "ITEM: ATOMS id type x y z", "ITEM: ATOMS id x y z"),
         r":9: no species column"),
        (lambda t: _edit(t, "\n2 ", "\n1 "), r":11: atom id 1 repeats \(also on line 10\)"),
        (lambda t: _edit(t, "BOX BOUNDS pp pp pp", "BOX BOUNDS xy xz yz pp pp pp"),
         r":5: triclinic box"),
        (lambda t: _edit(t, "BOX BOUNDS pp pp pp", "BOX BOUNDS pp fs pp"),
         r":5: boundary 'fs' in y is not periodic"),
        (lambda t: _edit(t, "BOX BOUNDS pp pp pp", "BOX BOUNDS ff pp pp"),
         r"boundary 'ff' in x is not periodic"),
        (lambda t: t.rsplit("\n", 3)[0] + "\n", r"file truncated: .*announces 12 atoms, got 10"),
        (lambda t: _edit(t, "ITEM: NUMBER OF ATOMS\n12", "ITEM: NUMBER OF ATOMS\ntwelve"),
         r":4: expected the number of atoms"),
        (lambda t: _edit(t, "\n2 ", "\nx "), r":11: column 'id' is not a number: 'x'"),
        (lambda t: t.replace("ITEM: TIMESTEP", "ITEM: TIMESTEPS", 1), r":1: expected 'ITEM"),
    ],
)
def test_dump_bad_input(tmp_path, edit, match):
    pos, image, types = _system()
    text = _dump([(0, pos, image, types)], ["id", "type", "x", "y", "z"])
    p = _write(tmp_path, edit(text))
    with pytest.raises(ValueError, match=match):
        read_configuration(p)


def test_dump_z_boundary_is_ignored(tmp_path):
    pos, image, types = _system()
    p = _write(tmp_path, _dump([(0, pos, image, types)], ["type", "x", "y"], flags="pp pp ff"))
    np.testing.assert_allclose(read_configuration(p).positions, pos, atol=1e-9)


def test_trajectory_bad_input(tmp_path):
    pos, image, types = _system()
    short = (1, pos[:-1], image[:-1], types[:-1])
    p = _write(tmp_path, _dump([(0, pos, image, types), short], ["type", "xu", "yu"]))
    with pytest.raises(ValueError, match=r"frame 1\): 11 particles, but frame 0 has 12"):
        read_trajectory(p)
    swapped = types.copy()
    swapped[0] = types[0] % 3 + 1  # another of the types 1..3
    p = _write(tmp_path, _dump([(0, pos, image, types), (1, pos, image, swapped)],
                               ["type", "xu", "yu"]))
    with pytest.raises(ValueError, match=r"frame 1\): particle 0 changes species"):
        read_trajectory(p)
    p = _write(tmp_path, _dump([(0, pos, image, types)], ["type", "xu", "yu"])
               + _dump([(1, pos, image, types)], ["type", "xu", "yu"], box=BOX * 1.01))
    with pytest.raises(ValueError, match=r"frame 1\): box .* fixed-box"):
        read_trajectory(p)
    with pytest.raises(ValueError, match="timestep must be positive"):
        read_trajectory(p, timestep=0)


# --------------------------------------------------------------------------- extended XYZ
def test_ase_written_extxyz_of_our_output_needs_and_takes_a_species_map(tmp_path):
    ase_io = pytest.importorskip("ase.io")
    pos, _, types = _system(n=30, seed=6)
    c = Configuration(pos, types - 1, BOX, "ka2d")
    ours = tmp_path / "ours.xyz"
    write_xyz(ours, c)
    theirs = tmp_path / "theirs.xyz"
    ase_io.write(theirs, ase_io.read(ours), format="extxyz")
    assert "He" in theirs.read_text()  # ase read our Z column as H, He, Li
    with pytest.raises(ValueError, match=r"theirs.xyz:2: unknown species 'H'.*--species-map"):
        read_configuration(theirs)
    back = read_configuration(theirs, species_map={"H": "A", "He": "B", "Li": "C"})
    np.testing.assert_allclose(back.positions, c.positions, atol=1e-12)
    np.testing.assert_array_equal(back.species, c.species)
    # The same through the command line.
    out = tmp_path / "f.csv"
    assert main(["describe", str(theirs), "--out", str(out), "-q", "--lengths", "2.0",
                 "--descriptors", "rho", "--species-map", "H=A,He=B,Li=C"]) == 0
    df = pd.read_csv(out)
    assert df["species"].tolist() == c.species_names.tolist()


@pytest.mark.parametrize("pbc, axis", [("F F F", "x"), ("T F T", "y"), ("False T T", "x")])
def test_extxyz_non_periodic_axis_is_rejected(tmp_path, pbc, axis):
    p = tmp_path / "c.xyz"
    p.write_text(f'1\nLattice="3 0 0 0 3 0 0 0 1" Properties=species:S:1:pos:R:3 pbc="{pbc}"\n'
                 "A 1 1 0\n")
    with pytest.raises(ValueError, match=rf"c.xyz:2: .*makes the {axis} axis non-periodic"):
        read_xyz(p)


def test_extxyz_z_pbc_is_ignored(tmp_path):
    p = tmp_path / "c.xyz"
    p.write_text('1\nLattice="3 0 0 0 3 0 0 0 1" Properties=species:S:1:pos:R:3 pbc="T T T"\n'
                 "A 1 1 0\n")
    assert read_xyz(p).positions.tolist() == [[1.0, 1.0]]


def test_outside_the_cell_warns_for_configurations_not_for_trajectories(tmp_path):
    p = tmp_path / "c.xyz"
    header = 'Lattice="3 0 0 0 3 0 0 0 1" Properties=species:S:1:pos:R:3'
    p.write_text(f"2\n{header}\nA 1 1 0\nB 4.5 -0.5 0\n")
    with pytest.warns(UserWarning, match=r"c.xyz:2: 1 particle\(s\) lie outside the Lattice"):
        c = read_xyz(p)
    np.testing.assert_allclose(c.positions, [[1, 1], [1.5, 2.5]])
    # Within the tolerance (rounding of a wrapped coordinate): no warning.
    p.write_text(f"1\n{header}\nA 3.00000000001 -1e-12 0\n")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_xyz(p)
        read_trajectory(tmp_path / "c.xyz")


def test_gsd_outside_the_box_warns_and_trajectory_unwraps_with_images(tmp_path):
    gsd_hoomd = pytest.importorskip("gsd.hoomd")
    p = tmp_path / "t.gsd"
    with gsd_hoomd.open(p, "w") as fh:
        for step, x, img in [(0, 1.4, 0), (10, -1.4, 1), (20, 1.9, 0)]:
            f = gsd_hoomd.Frame()
            f.configuration.step, f.configuration.box = step, [3, 3, 1, 0, 0, 0]
            f.particles.N, f.particles.types = 1, ["A"]
            f.particles.typeid = [0]
            f.particles.position = [[x, 0.0, 0.0]]
            f.particles.image = [[img, 0, 0]]
            fh.append(f)
    traj = read_trajectory(p)
    # Frame 1 is 0.1 in the image one box over; frame 2 lies outside its box (x > 1.5).
    np.testing.assert_allclose(traj.positions[:, 0, 0], [2.9, 3.1, 3.4], rtol=1e-6)
    np.testing.assert_array_equal(traj.times, [0, 10, 20])
    with pytest.warns(UserWarning, match=r"t.gsd: frame 2: 1 particle\(s\) lie outside"):
        read_gsd(p, 2)


def test_xyz_and_gsd_trajectories_unwrap(tmp_path):
    rng = np.random.default_rng(7)
    pos, _, types = _system(n=10, seed=8)
    steps = rng.normal(0, 0.3, (4, 10, 2))
    true = pos + np.concatenate([np.zeros((1, 10, 2)), np.cumsum(steps, axis=0)])
    configs = [Configuration(u, types - 1, BOX, "ka2d") for u in true]
    pytest.importorskip("gsd")
    for name, writer in [("t.xyz", write_xyz), ("t.gsd", write_gsd)]:
        writer(tmp_path / name, configs, times=[0, 5, 10, 15, 20])
        traj = read_trajectory(tmp_path / name)
        np.testing.assert_allclose(traj.positions, true, atol=1e-5)
        np.testing.assert_array_equal(traj.times, [0, 5, 10, 15, 20])
        np.testing.assert_array_equal(traj.species, types - 1)


def test_simulate_trajectory_npz_in_read_trajectory_and_describe(tmp_path):
    pos, _, types = _system(n=10, seed=9)
    unwrapped = np.stack([pos, pos + [[BOX[0], 0]], pos - BOX])
    p = tmp_path / "trajectory.npz"
    np.savez(p, times=np.array([0, 10, 20]), positions=unwrapped, species=types - 1, box=BOX,
             energies=np.zeros(3), preset=np.array("ka2d"))
    traj = read_trajectory(p)
    np.testing.assert_array_equal(traj.positions, unwrapped)
    assert traj.mixture.name == "ka2d" and traj.times.tolist() == [0, 10, 20]
    np.testing.assert_allclose(read_configuration(p, index=1).positions, pos, atol=1e-12)
    with pytest.raises(ValueError, match="species map does not apply"):
        read_trajectory(p, species_map={1: "A"})
    out = tmp_path / "f.csv"
    assert main(["describe", str(p), "--out", str(out), "-q", "--all-frames", "--lengths",
                 "2.0", "--descriptors", "rho"]) == 0
    df = pd.read_csv(out)
    assert list(df.columns[:3]) == ["configuration", "particle", "species"]
    assert df["configuration"].tolist() == [0] * 10 + [1] * 10 + [2] * 10
    # Periodic images: every frame has the same descriptors.
    np.testing.assert_allclose(df.iloc[10:20, 3:].to_numpy(), df.iloc[:10, 3:].to_numpy())
    bad = tmp_path / "other.npz"
    np.savez(bad, a=np.zeros(3))
    with pytest.raises(ValueError, match="missing times, positions, species, box"):
        read_trajectory(bad)


def test_describe_reads_a_dump_with_a_species_map(tmp_path, capsys):
    pos, image, types = _system()
    p = _write(tmp_path, _dump([(0, pos, image, types)], ["id", "type", "xu", "yu"]), "d.xyz")
    out = tmp_path / "f.csv"
    assert main(["describe", str(p), "--out", str(out), "-q", "--lengths", "2.0",
                 "--descriptors", "rho", "--species-map", "1=C,2=B,3=A"]) == 0
    df = pd.read_csv(out)
    assert df["species"].tolist() == np.array(["C", "B", "A"])[types - 1].tolist()
    assert main(["describe", str(p), "--out", str(out), "--species-map", "1=A,2=B"]) == 2
    assert "label '3' of the file is not in the species map" in capsys.readouterr().err


def test_parse_species_map_errors():
    assert parse_species_map("H=A,He=B,Li=C") == {"H": "A", "He": "B", "Li": "C"}
    import argparse

    for bad in ("1A", "1=", "=A", "1=A,,2=B"):
        with pytest.raises(argparse.ArgumentTypeError, match="LABEL=species"):
            parse_species_map(bad)


def test_read_lammps_dump_return_info(tmp_path):
    pos, image, types = _system()
    frames = [(0, pos, image, types), (7, pos, image, types)]
    p = _write(tmp_path, _dump(frames, ["type", "x", "y"]))
    configs, infos = read_lammps_dump(p, None, return_info=True)
    assert len(configs) == 2 and [i["time"] for i in infos] == [0, 7]
