"""``skii-glass study`` on user configurations (LAMMPS dumps) and a propensity CSV."""

import json

import numpy as np
import pandas as pd
import pytest

from skii_glass.cli import main
from skii_glass.cli._study import _load_model
from skii_glass.pipeline import descriptor_table
from skii_glass.simulation import random_configuration
from skii_glass.study import pearson_per_configuration, summarize_pearson

N = 140


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("study")
    configs = [random_configuration("ka2d", N, seed=s) for s in (1, 2, 3)]
    rng = np.random.default_rng(0)
    props = [rng.gamma(2.0, 0.2, N) for _ in configs]
    files = []
    for k, c in enumerate(configs):
        order = rng.permutation(N)  # ids in shuffled order; the reader sorts them
        lines = ["ITEM: TIMESTEP", "0", "ITEM: NUMBER OF ATOMS", str(N),
                 "ITEM: BOX BOUNDS pp pp pp", f"0 {float(c.box[0])!r}", f"0 {float(c.box[1])!r}",
                 "-0.5 0.5", "ITEM: ATOMS id type xu yu"]
        x, y = c.positions.T.tolist()
        lines += [f"{i + 1} {c.species[i] + 1} {x[i]!r} {y[i]!r}" for i in order]
        files.append(tmp / f"conf{k}.xyz")  # a dump named .xyz, as in the glass-ML roadmap
        files[-1].write_text("\n".join(lines) + "\n")
    rows = pd.DataFrame({
        "configuration": np.repeat([0, 1, 2], N),
        "particle": np.tile(np.arange(N), 3),
        "propensity": np.concatenate(props),
    }).sample(frac=1.0, random_state=1)  # rows in any order: joined by key
    csv = tmp / "prop.csv"
    rows.to_csv(csv, index=False)
    return configs, props, files, csv, rows


FAST = ["--max-d", "2", "--random-draws", "3", "--quiet"]


def test_study_on_dumps_matches_the_library(tmp_path, data, capsys):
    configs, props, files, csv, _ = data
    out = tmp_path / "study"
    assert main(["study", "--configurations", *map(str, files), "--propensity", str(csv),
                 "--out", str(out), *FAST]) == 0
    printed = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert printed["n_configurations"] == 3
    summary = json.loads((out / "summary.json").read_text())
    want = summarize_pearson(pearson_per_configuration(descriptor_table(configs, props)))
    got = pd.read_csv(out / "tables" / "fig4a_pearson.csv")
    assert got["feature"].tolist() == want["feature"].tolist()
    np.testing.assert_allclose(got["abs_mean_r"], want["abs_mean_r"], rtol=1e-10)
    assert summary["best_feature"] == printed["best_feature"]
    report = (out / "report.md").read_text()
    assert "conf0.xyz" in report and "prop.csv" in report


def _bad(tmp_path, rows, **edits):
    p = tmp_path / "bad.csv"
    rows.to_csv(p, index=False)
    return p


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: r.iloc[1:], "no row for (configuration"),
        (lambda r: pd.concat([r, r.iloc[:1]]), "appears twice"),
        (lambda r: r.assign(particle=r["particle"] + 1), f"particle {N}) matches no particle"),
        (lambda r: r.rename(columns={"propensity": "p"}), "no column 'propensity'"),
        (lambda r: r.assign(propensity=r["propensity"].where(r.index != 5)),
         "is not a finite number"),
    ],
)
def test_propensity_file_errors(tmp_path, data, capsys, mutate, message):
    _, _, files, _, rows = data
    p = _bad(tmp_path, mutate(rows))
    assert main(["study", "--configurations", *map(str, files), "--propensity", str(p),
                 "--out", str(tmp_path / "o"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "skii-glass study: error:" in err and message in err and "bad.csv" in err, err


def test_other_input_errors(tmp_path, data, capsys):
    _, _, files, csv, _ = data
    base = ["study", "--propensity", str(csv), "--out", str(tmp_path / "o"), *FAST]
    assert main([*base, "--configurations", *map(str, files[:2])]) == 2
    assert "need at least 3" in capsys.readouterr().err
    assert main([*base, "--configurations", *map(str, files), "--species-map", "1=A,2=B"]) == 2
    assert "label '3' of the file is not in the species map" in capsys.readouterr().err
    model = tmp_path / "m.json"
    model.write_text(json.dumps({"species": ["A", "B"], "sigma": [[1, 0.8], [0.8, 0.9]]}))
    assert main([*base, "--configurations", *map(str, files), "--model", str(model)]) == 2
    assert "m.json: missing epsilon" in capsys.readouterr().err


def test_model_json():
    import tempfile
    from pathlib import Path

    p = Path(tempfile.mkdtemp()) / "bin.json"
    p.write_text(json.dumps({"name": "kabin", "species": ["L", "S"], "x_cut": 2.5,
                             "sigma": [[1, 0.8], [0.8, 0.88]],
                             "epsilon": [[1, 1.5], [1.5, 0.5]]}))
    m = _load_model(p)
    assert m.name == "kabin" and m.species == ("L", "S")
    # The smoothing makes V, V' and V'' vanish at the cutoff.
    r = 2.5 * m.sigma[0, 1]
    assert abs(float(m.pair_energy([r - 1e-9], 0, 1)[0])) < 1e-8
    p.write_text(json.dumps({"species": ["A"], "sigma": [[1]], "epsilon": [[1]], "x": 1}))
    with pytest.raises(ValueError, match="unknown keys x"):
        _load_model(p)
