"""``skii-glass describe``: XYZ in, one CSV row per particle with the named columns out."""

import re

import numpy as np
import pandas as pd
import pytest

from skii_glass import Configuration, get_preset
from skii_glass.cli import main
from skii_glass.descriptors import descriptor_names, structural_descriptors
from skii_glass.io import write_xyz


def _config(seed, n_side=12):
    rng = np.random.default_rng(seed)
    m = get_preset("ka2d")
    a = 1.0 / np.sqrt(m.density)
    i, j = np.meshgrid(np.arange(n_side), np.arange(n_side), indexing="ij")
    pos = np.c_[i.ravel(), j.ravel()] * a + rng.normal(0, 0.08 * a, (n_side**2, 2))
    return Configuration(pos, rng.integers(0, 3, n_side**2), n_side * a, m)


def test_describe_writes_60_named_columns(tmp_path, capsys):
    c = _config(0)
    path = tmp_path / "c.xyz"
    write_xyz(path, c)
    out = tmp_path / "features.csv"
    assert main(["describe", str(path), "--preset", "ka2d", "--out", str(out)]) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == ["particle", "species", *descriptor_names()]
    assert df.shape == (c.n_particles, 62)
    assert df["particle"].tolist() == list(range(c.n_particles))
    assert df["species"].tolist() == c.species_names.tolist()
    np.testing.assert_allclose(df.iloc[:, 2:].to_numpy(), structural_descriptors(c),
                               rtol=1e-12)
    assert "wrote 144 rows" in capsys.readouterr().err


def test_describe_reads_the_plain_extended_xyz_format(tmp_path):
    # The minimal header (no Z column, no preset key), a rectangular box,
    # z coordinates that must be ignored and a position outside the box (wrapped, warned).
    c0 = _config(1)
    c = Configuration(c0.positions, c0.species, c0.box * np.array([1.0, 1.1]), c0.mixture)
    box = c.box.tolist()
    lines = [str(c.n_particles),
             f'Lattice="{box[0]!r} 0 0 0 {box[1]!r} 0 0 0 1" Properties=species:S:1:pos:R:3']
    pos = c.positions.copy()
    pos[0] += box  # one periodic image away
    for name, (x, y) in zip(c.species_names, pos.tolist(), strict=True):
        lines.append(f"{name} {x!r} {y!r} 3.5")
    path = tmp_path / "plain.xyz"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "f.csv"
    with pytest.warns(UserWarning, match="1 particle.* outside the Lattice cell"):
        assert main(["describe", str(path), "--out", str(out), "--lengths", "2.0", "1.0",
                     "--quiet"]) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == ["particle", "species", *descriptor_names([1.0, 2.0])]
    np.testing.assert_allclose(df.iloc[:, 2:].to_numpy(), structural_descriptors(c, [1.0, 2.0]),
                               rtol=1e-12)


def test_describe_all_frames(tmp_path):
    a, b = _config(2), _config(3, n_side=13)
    path = tmp_path / "traj.xyz"
    write_xyz(path, [a, b])
    out = tmp_path / "f.csv"
    assert main(["describe", str(path), "--out", str(out), "--all-frames", "-q",
                 "--descriptors", "theta", "rho"]) == 0
    df = pd.read_csv(out)
    assert list(df.columns) == ["configuration", "particle", "species"] + descriptor_names(
        descriptors=["theta", "rho"])
    assert df["configuration"].tolist() == [0] * a.n_particles + [1] * b.n_particles
    assert df["particle"].tolist() == list(range(a.n_particles)) + list(range(b.n_particles))
    want = np.vstack([structural_descriptors(x, descriptors=["theta", "rho"]) for x in (a, b)])
    np.testing.assert_allclose(df.iloc[:, 3:].to_numpy(), want, rtol=1e-12)
    # --frame picks one frame.
    assert main(["describe", str(path), "--out", str(out), "--frame", "0", "-q"]) == 0
    np.testing.assert_allclose(pd.read_csv(out).iloc[:, 2:].to_numpy(),
                               structural_descriptors(a), rtol=1e-12)


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        ('2\nLattice="12 0 0 0 12 0 0 0 1" Properties=species:S:1:pos:R:3\n'
         "A 1 1 0\nQ 2 2 0\n", [], "unknown species"),
        ('2\nLattice="12 0 0 0 12 0 0 0 1" Properties=species:S:1:pos:R:3\n'
         "A 1 1 0\nB nan 2 0\n", [], "NaN"),
        ('2\nLattice="8 0 0 0 8 0 0 0 1" Properties=species:S:1:pos:R:3\n'
         "A 1 1 0\nB 2 2 0\n", [], "half the shorter box side"),
        ('2\nLattice="12 0 0 0 12 0 0 0 1" Properties=species:S:1:pos:R:3\n'
         "A 1 1 0\nB 2 2 0\n", ["--lengths", "0"], "lengths"),
        ("3\nnot a header\nA 1 1 0\n", [], "c.xyz"),
    ],
)
def test_describe_bad_input_exits_with_clear_error(tmp_path, capsys, text, extra, message):
    path = tmp_path / "c.xyz"
    path.write_text(text)
    out = tmp_path / "f.csv"
    assert main(["describe", str(path), "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert "skii-glass describe: error:" in err and message in err
    assert not out.exists()


def test_describe_missing_file(tmp_path, capsys):
    assert main(["describe", str(tmp_path / "nope.xyz"), "--out", str(tmp_path / "f")]) == 2
    assert "nope.xyz" in capsys.readouterr().err


def test_describe_density_definition(tmp_path):
    c = _config(5)
    path = tmp_path / "c.xyz"
    write_xyz(path, c)
    out = tmp_path / "f.csv"
    assert main(["describe", str(path), "--out", str(out), "--lengths", "0.5", "2.0",
                 "--descriptors", "rho", "phi", "--density", "count", "--quiet"]) == 0
    want = structural_descriptors(c, [0.5, 2.0], descriptors=["rho", "phi"], density="count")
    got = pd.read_csv(out).drop(columns=["particle", "species"]).to_numpy()
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert not np.allclose(want, structural_descriptors(c, [0.5, 2.0],
                                                        descriptors=["rho", "phi"]))
def _overlapping_file(tmp_path):
    c = _config(0)
    pos = c.positions.copy()
    pos[5] = pos[4]  # two particles at the same position: u would be NaN
    path = tmp_path / "overlap.xyz"
    write_xyz(path, Configuration(pos, c.species, c.box, c.mixture))
    return path


def test_describe_rejects_overlaps_unless_allowed(tmp_path, capsys):
    path = _overlapping_file(tmp_path)
    out = tmp_path / "f.csv"
    # The overlap is named first, even with lengths the box cannot hold.
    for extra in ([], ["--lengths", "40"]):
        assert main(["describe", str(path), "--out", str(out), "-q", *extra]) == 2
        err = capsys.readouterr().err
        assert "particles 4 " in err and "and 5 " in err and "overlap" in err
        assert "--allow-overlaps" in err
        assert not out.exists()
    assert main(["describe", str(path), "--out", str(out), "-q", "--allow-overlaps",
                 "--descriptors", "rho", "z"]) == 0
    assert pd.read_csv(out).shape == (144, 22)  # particle, species + 20 descriptors


def test_describe_unknown_preset_gives_a_command_line_hint(tmp_path, capsys):
    path = tmp_path / "c.xyz"
    write_xyz(path, _config(0))
    assert main(["describe", str(path), "--preset", "nosuch", "--out",
                 str(tmp_path / "f.csv")]) == 2
    err = capsys.readouterr().err
    assert "--preset nosuch: unknown model; choose one of: barbot_ternary, ka2d" in err
    assert "mixture=" not in err


def test_describe_help_states_each_default_once(capsys):
    with pytest.raises(SystemExit):
        main(["describe", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "(default: None)" not in text and "(default: False)" not in text
    assert re.search(r"default[^()]*\) \(default:", text) is None  # no help says it twice
    assert "output CSV file (default" not in text  # --out is required
    assert "(default: the last) (default" not in text
    assert "(default: 1.4)" in text


def test_interrupt_message_starts_a_new_line(monkeypatch, tmp_path, capsys):
    from skii_glass.cli import _describe

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(_describe, "run", interrupted)
    assert main(["describe", "x.xyz", "--out", str(tmp_path / "f.csv")]) == 130
    err = capsys.readouterr().err
    assert err.startswith("\nskii-glass describe: interrupted")
