"""End-to-end test of ``skii-glass reproduce`` and ``make-dataset`` at the tiny scale."""

import json
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skii_glass import datasets, pipeline
from skii_glass.cli import main
from skii_glass.report import FIGURES

SUMMARY_KEYS = {
    "n_configurations",
    "n_particles",
    "temperature",
    "tau_alpha_sweeps",
    "wall_seconds",
    "best_feature",
    "best_abs_pearson",
    "abs_pearson_by_feature",
    "regression_abs_pearson",
}
METHODS = {"ii_supervised", "ii_supervised_paper", "ii_unsupervised", "lasso", "random", "sfs",
           "mutual_info"}
TINY = ["--scale", "tiny", "--quiet", "--max-d", "3"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("reproduce")
    rc = main(["reproduce", *TINY, "--out", str(out), "--structure", "both",
               "--selection-protocol", "paper"])
    assert rc == 0
    return out


def _check_outputs(out: Path, max_d: int, n_configurations: int) -> dict:
    summary = json.loads((out / "summary.json").read_text())
    assert SUMMARY_KEYS <= set(summary)
    assert summary["n_configurations"] == n_configurations
    assert len(summary["abs_pearson_by_feature"]) == 60
    assert summary["best_feature"] in summary["abs_pearson_by_feature"]
    assert 0 <= summary["best_abs_pearson"] <= 1
    assert summary["best_abs_pearson"] == max(summary["abs_pearson_by_feature"].values())
    assert set(summary["regression_abs_pearson"]) == METHODS
    for curve in summary["regression_abs_pearson"].values():
        assert len(curve) == max_d and all(0 <= v <= 1 for v in curve)
    assert summary["tau_alpha_sweeps"] > 0 and summary["wall_seconds"] > 0

    import matplotlib.image as mpimg

    for name in FIGURES:
        img = mpimg.imread(out / "figures" / name)
        assert img.ndim == 3 and img.shape[0] > 300 and img.shape[1] > 500, name
        assert img[..., :3].std() > 0.05, f"{name} looks blank"

    tables = sorted((out / "tables").glob("*.csv"))
    assert len(tables) == 11
    for t in tables:
        df = pd.read_csv(t)
        assert len(df) > 0, t.name
    reg = pd.read_csv(out / "tables" / "fig7_regression.csv")
    assert set(reg["method"]) == METHODS and reg["d"].max() == max_d
    pear = pd.read_csv(out / "tables" / "fig4a_pearson.csv")
    assert len(pear) == 60 and not pear["abs_mean_r"].isna().any()

    text = (out / "report.md").read_text()
    for name in FIGURES:
        assert f"figures/{name}" in text
    assert "nothing of the test configuration leaks in" in text
    assert summary["best_feature"] in text
    assert re.search(r"\bSPEC\b", text) is None and "../shared" not in text
    return summary


def test_reproduce_structures_protocol_and_noise_ceiling(tiny_run):
    """The tiny run analyses thermal and inherent structures under the paper protocol."""
    summary = json.loads((tiny_run / "summary.json").read_text())
    assert summary["structures"] == ["thermal", "inherent"]
    assert summary["selection_protocol"] == "paper"
    assert summary["supervised_regression_method"] == "ii_supervised_paper"
    inh = summary["by_structure"]["inherent"]
    for key in ("best_feature", "best_abs_pearson", "abs_pearson_by_feature",
                "regression_abs_pearson", "best_feature_by_descriptor"):
        assert key in inh
    # The thermal numbers stay the top-level headline.
    thermal = pd.read_csv(tiny_run / "tables" / "fig4a_pearson.csv")
    assert summary["best_abs_pearson"] == pytest.approx(thermal["abs_mean_r"].max())
    assert 0 < summary["propensity_reliability"] <= 1
    assert summary["noise_ceiling"] == pytest.approx(np.sqrt(summary["propensity_reliability"]))
    text = (tiny_run / "report.md").read_text()
    assert "## Thermal and inherent structures" in text
    assert "## Noise ceiling of the propensity" in text
    for key in ("inherent_structures", "descriptors_inherent", "analyses_inherent"):
        assert summary["stage_seconds"][key] > 0


def test_reproduce_tiny_end_to_end(tiny_run):
    summary = _check_outputs(tiny_run, max_d=3, n_configurations=3)
    assert summary["n_particles"] == 128 and summary["temperature"] == 2.0
    assert (tiny_run / "figures" / "relaxation_fs.png").stat().st_size > 10_000
    assert "figures/relaxation_fs.png" in (tiny_run / "report.md").read_text()
    tau = json.loads((tiny_run / "cache" / "tau_alpha.json").read_text())
    assert min(tau["fs_cr"]) < 1 / np.e < tau["fs_cr"][0]


def test_reproduce_resumes_and_is_deterministic(tiny_run, tmp_path):
    # Copy the finished run, drop one trajectory and every later stage: the re-run must
    # recompute only those and give the same numbers (seeds do not depend on the order).
    import shutil

    out = tmp_path / "resume"
    shutil.copytree(tiny_run, out)
    cache = out / "cache"
    kept = {p: p.stat().st_mtime_ns for p in (cache / "configurations").glob("*.npz")}
    (cache / "propensity" / "config_001_traj_002.npz").unlink()
    (cache / "descriptors.npz").unlink()
    (cache / "study.joblib").unlink()
    (out / "summary.json").unlink()
    assert main(["reproduce", *TINY, "--out", str(out)]) == 0
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # equilibration not redone
    assert (cache / "propensity" / "config_001_traj_002.npz").exists()
    a = json.loads((tiny_run / "summary.json").read_text())
    b = json.loads((out / "summary.json").read_text())
    assert a["abs_pearson_by_feature"] == pytest.approx(b["abs_pearson_by_feature"], abs=1e-12)
    assert a["regression_abs_pearson"] == b["regression_abs_pearson"]


def test_reproduce_refuses_mixed_settings(tiny_run, capsys):
    rc = main(["reproduce", *TINY, "--temperature", "1.5", "--out", str(tiny_run)])
    assert rc == 2
    assert "other settings" in capsys.readouterr().err


def test_changed_analysis_settings_reuse_the_simulation(tiny_run, tmp_path):
    import shutil

    out = tmp_path / "redo"
    shutil.copytree(tiny_run, out)
    before = (out / "cache" / "tau_alpha.json").stat().st_mtime_ns
    assert main(["reproduce", "--scale", "tiny", "--quiet", "--max-d", "2", "--out",
                 str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert all(len(v) == 2 for v in summary["regression_abs_pearson"].values())
    assert (out / "cache" / "tau_alpha.json").stat().st_mtime_ns == before


def test_make_dataset_and_from_bundled(tiny_run, tmp_path):
    # Same settings as the tiny run: make-dataset reuses its cached stages 1-3.
    f = tmp_path / "tiny.npz"
    assert main(["make-dataset", "--scale", "tiny", "--quiet", "--work", str(tiny_run),
                 "--out", str(f)]) == 0
    data = datasets.load_propensity(f)
    assert len(data.configurations) == 3
    assert all(c.n_particles == 128 for c in data.configurations)
    assert data.temperature == 2.0 and data.tau_alpha > 0
    assert data.metadata["preset"] == "ka2d" and "scale" in data.metadata
    table = data.table()
    assert table.shape == (3 * 128, 62)
    # Propensities equal the simulated ones (stored as float32).
    sim = pd.read_csv(tiny_run / "tables" / "fig4a_pearson_per_configuration.csv")
    assert len(sim) == 3 * 60
    cached = np.load(tiny_run / "cache" / "descriptors.npz")
    np.testing.assert_allclose(table["propensity"], cached["propensity"], rtol=1e-6)

    out = tmp_path / "bundled"
    assert main(["reproduce", "--from-bundled", str(f), "--quiet", "--max-d", "2",
                 "--out", str(out)]) == 0
    summary = _check_outputs(out, max_d=2, n_configurations=3)
    assert summary["source"].startswith("bundled dataset")
    assert not (out / "cache" / "configurations").exists()  # no simulation happened


def test_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        datasets.load_propensity(tmp_path / "missing.npz")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="cannot read"):
        datasets.load_propensity(bad)
    other = tmp_path / "other.npz"
    np.savez(other, positions=np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="missing"):
        datasets.load_propensity(other)


def test_scale_validation():
    with pytest.raises(ValueError, match="unknown scale"):
        pipeline.get_scale("huge")
    with pytest.raises(ValueError, match="at least 2 configurations"):
        pipeline.get_scale("tiny", n_configurations=1)
    with pytest.raises(ValueError, match="temperature"):
        pipeline.get_scale("tiny", temperature=-1.0)
    s = pipeline.get_scale("paper")
    assert (s.n_particles, s.n_configurations, s.n_trajectories, s.temperature) == (
        4000, 10, 30, 0.45)
    assert s.swap_probability > 0


@pytest.mark.parametrize("extra, message", [
    (["--preset", "nosuch"], "unknown preset 'nosuch'"),
    (["--seed", "-3"], "seed must be a non-negative integer"),
    (["--n-jobs", "0"], "--n-jobs"),
    (["--max-d", "0"], "max_d must be a positive integer"),
    (["--from-bundled", "missing.npz"], "missing.npz"),
])
def test_reproduce_validates_everything_before_writing(tmp_path, capsys, extra, message):
    out = tmp_path / "run"
    assert main(["reproduce", "--scale", "tiny", "--quiet", *extra, "--out", str(out)]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_help_mentions_the_physics(capsys):
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    text = capsys.readouterr().out
    for word in ("tau_alpha", "propensity", "Dask", "--from-bundled", "--scale",
                 "--structure", "--selection-protocol"):
        assert word in text
    assert os.environ.get("MPLBACKEND", "Agg") == "Agg"


def test_no_help_text_or_doc_cites_files_users_do_not_have(capsys):
    """Product text cites the project's own files or the literature, never the
    developers' specification."""
    commands = ["reproduce", "make-dataset", "simulate", "propensity", "describe"]
    for cmd in [None, *commands]:
        with pytest.raises(SystemExit):
            main(([cmd] if cmd else []) + ["--help"])
        text = capsys.readouterr().out
        assert re.search(r"\bSPEC\b", text) is None and "shared/" not in text, cmd
    root = Path(__file__).resolve().parents[1]
    files = [root / "README.md", *(root / "doc").rglob("*.md"), *(root / "doc").rglob("*.rst"),
             *(root / "skii").rglob("*.py"), *(root / "skii_glass").rglob("*.py"),
             *(root / "examples").rglob("*.py")]
    for f in files:
        if "_build" in f.parts or "auto_examples" in f.parts or "generated" in f.parts:
            continue
        text = f.read_text(encoding="utf-8")
        assert re.search(r"\bSPEC\b", text) is None and "../shared" not in text, f


def test_bundled_dataset_loads_or_says_how_to_make_it():
    if datasets._default_path().exists():
        data = datasets.load_propensity(descriptors=False)
        assert len(data.configurations) >= 10
        assert data.temperature <= 0.45 and data.tau_alpha > 0
        assert data.displacements is not None
        assert data.displacements.shape == (len(data.configurations), 30,
                                            data.configurations[0].n_particles)
        assert np.allclose(data.displacements.mean(axis=1), np.stack(data.propensity),
                           atol=1e-5)
        assert all(np.all(np.isfinite(p)) and p.min() >= 0 for p in data.propensity)
    else:
        with pytest.raises(FileNotFoundError, match="make-dataset --scale bundle"):
            datasets.load_propensity()


def test_gitignore_lists_the_default_output_folder():
    from skii_glass.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    default_out = sub.choices["reproduce"].get_default("out")
    ignored = (Path(__file__).parents[1] / ".gitignore").read_text().split()
    assert f"{default_out}/" in ignored


def test_run_times_are_stated_the_same_everywhere(capsys):
    root = Path(__file__).parents[1]
    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    texts = {
        "reproduce --help": " ".join(capsys.readouterr().out.split()),
        "README.md": " ".join((root / "README.md").read_text(encoding="utf-8").split()),
        "glass.rst": " ".join((root / "doc/user_guide/glass.rst").read_text(
            encoding="utf-8").split()),
    }
    for where, text in texts.items():
        # quick: measured cold and warm; --from-bundled: cold, both structures and thermal
        # only; paper: one estimate from the measured bundle run.
        for phrase in ("76 s", "41 s", "75-91 s", "61 s", "~4.4e10 trial moves",
                       "about 2.5 hours", "2646 s"):
            assert phrase in text, (where, phrase)
        for stale in ("about a day", "a day on 2 cores", "a few hours", "about a minute"):
            assert stale not in text, (where, stale)


def test_two_structures_analysed_side_by_side_match_one_after_the_other(tmp_path):
    """The analyses of two structures run in two threads (pipeline._study_stages): the
    same results as the sequential stage, and the warning filters restored after."""
    import warnings

    rng = np.random.default_rng(3)
    tables = {}
    for s_ in ("thermal", "inherent"):
        t = pd.DataFrame(rng.normal(size=(90, 4)), columns=["a", "b", "c", "d"])
        t["propensity"] = t["b"] - 0.5 * t["d"] + 0.3 * rng.normal(size=90)
        t["configuration"] = np.repeat([0, 1, 2], 30)
        tables[s_] = t
    scale = pipeline.get_scale("tiny", n_path_features=3, max_d=3, n_random_draws=3)
    filters = list(warnings.filters)
    (tmp_path / "par").mkdir()
    both = pipeline._study_stages(tmp_path / "par", tables, ("thermal", "inherent"), scale,
                                  None, False)
    assert warnings.filters == filters
    for s_, name in (("thermal", "study.joblib"), ("inherent", "study_inherent.joblib")):
        assert (tmp_path / "par" / name).exists() and both[s_][1] > 0
        alone, _ = pipeline._study_stage(tmp_path / f"seq_{name}", tables[s_], scale, None,
                                         False, s_)
        got = both[s_][0]
        pd.testing.assert_frame_equal(got.regression, alone.regression)
        pd.testing.assert_frame_equal(got.supervised_paths, alone.supervised_paths)
        pd.testing.assert_frame_equal(got.unsupervised_paths, alone.unsupervised_paths)
        pd.testing.assert_frame_equal(got.imbalances, alone.imbalances)
