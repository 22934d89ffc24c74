"""Tests for skii_glass.report and skii_glass.reference on synthetic study results."""

import json

import numpy as np
import pandas as pd
import pytest

from skii_glass import report, study
from skii_glass.reference import FEATURE_NAMES, paper_reference


def test_paper_reference_matches_upstream_tables():
    ref = paper_reference()
    assert ref.feature_names == list(FEATURE_NAMES)
    assert ref.best_feature() == "theta_L2.0"
    assert ref.best_abs_pearson() == pytest.approx(0.557, abs=5e-4)
    best = {d: round(ref.best_abs_pearson(d), 3) for d in ("rho", "u", "phi", "z", "psi6")}
    assert best == {"rho": 0.487, "u": 0.407, "phi": 0.398, "z": 0.336, "psi6": 0.18}
    assert ref.fig5()["delta_subset_to_target"][[0, 9]] == pytest.approx([0.833, 0.353],
                                                                          abs=5e-4)
    assert {"delta_subset_to_full", "delta_full_to_subset"} <= set(ref.fig6())
    for m, want in {"ii_supervised": (0.555, 0.687, 0.716), "lasso": (0.557, 0.705, 0.729),
                    "ii_unsupervised": (0.329, 0.444, 0.710)}.items():
        assert ref.fig7_mean(m)[[0, 1, 9]] == pytest.approx(want, abs=5e-4)
    with pytest.raises(ValueError, match="no Fig. 7 curve"):
        ref.fig7_mean("sfs")


@pytest.fixture(scope="module")
def synthetic_results():
    """60 paper-named features; the propensity follows theta_L2.0."""
    rng = np.random.default_rng(0)
    parts = []
    for c in range(3):
        base = rng.normal(size=(150, 6))
        X = np.column_stack([base[:, k // 10] * (1 - 0.05 * (k % 10))
                             + 0.3 * rng.normal(size=150) for k in range(60)])
        X[:, 0] = 2.0  # constant rho_L0.5, as in a real glass
        df = pd.DataFrame(X, columns=FEATURE_NAMES)
        df["propensity"] = np.exp(0.5 * X[:, FEATURE_NAMES.index("theta_L2.0")]) \
            + 0.3 * rng.normal(size=150)
        df["configuration"] = c
        parts.append(df)
    table = pd.concat(parts, ignore_index=True)
    return study.run_study(table, n_path_features=3, max_d=3, n_random_draws=20, n_jobs=1)


def test_write_report_text_and_summary(synthetic_results, tmp_path):
    meta = {"temperature": 0.55, "n_particles": 150, "tau_alpha_sweeps": 2.4e4,
            "wall_seconds": 1.0, "n_trajectories": 30, "preset": "ka2d",
            "max_displacement": 0.1}
    summary = report.write_report(synthetic_results, tmp_path, meta)
    on_disk = json.loads((tmp_path / "summary.json").read_text())
    assert on_disk["best_feature"] == summary["best_feature"] == "theta_L2.0"
    assert on_disk["best_feature_by_descriptor"]["theta"]["L"] == 2.0
    assert on_disk["constant_features"] == ["rho_L0.5"]
    assert on_disk["abs_pearson_by_feature"]["rho_L0.5"] == 0.0
    assert on_disk["temperature"] == 0.55
    text = (tmp_path / "report.md").read_text()
    assert "The winning descriptor agrees (theta)" in text
    assert "peaks at L = 2.0 here (paper: L = 2.0)" in text
    assert "Caveat" not in text  # T = 0.55 is the paper's regime
    assert "Constant columns" in text and "rho_L0.5" in text
    cmp = pd.read_csv(tmp_path / "tables" / "comparison_with_paper.csv")
    row = cmp[(cmp.quantity == "fig4a_abs_pearson") & (cmp.key == "theta_L2.0")]
    assert row["paper"].item() == pytest.approx(0.557, abs=5e-4)
    assert row["ours"].item() == pytest.approx(summary["best_abs_pearson"])
    for name in report.FIGURES:
        assert (tmp_path / "figures" / name).stat().st_size > 10_000


def test_report_flags_hot_runs(synthetic_results, tmp_path):
    meta = {"temperature": 1.0, "n_particles": 150, "tau_alpha_sweeps": 1400.0,
            "preset": "ka2d", "max_displacement": 0.2, "n_tau_configurations": 4}
    report.write_report(synthetic_results, tmp_path, meta)
    text = (tmp_path / "report.md").read_text()
    assert "**Caveat.** T = 1 is above the glassy regime" in text
    assert "against 1350 from an independent C implementation" in text


def test_report_states_noise_ceiling_and_only_facts(synthetic_results, tmp_path):
    stats = {"n_trajectories": 30, "split_half_correlation": 0.5, "reliability": 0.64,
             "noise_ceiling": 0.8, "reliability_per_configuration": [0.64] * 3,
             "coefficient_of_variation": 0.4, "p90_over_p10": 3.0, "alpha2_at_tau": 1.7,
             "species_abs_pearson": 0.2}
    meta = {"temperature": 1.0, "n_particles": 150, "n_trajectories": 30, "preset": "ka2d",
            "max_displacement": 0.2, "propensity_reliability": 0.64, "noise_ceiling": 0.8,
            "propensity_statistics": stats}
    summary = report.write_report(synthetic_results, tmp_path, meta)
    text = (tmp_path / "report.md").read_text()
    assert "SPEC" not in text and "shared/" not in text
    # The paper's temperature is not public: no sentence may state it.
    assert "T = 0.55" not in text
    assert "## Noise ceiling of the propensity" in text and "**0.800**" in text
    assert summary["propensity_reliability"] == 0.64 and summary["noise_ceiling"] == 0.8
    assert summary["best_abs_pearson_noise_corrected"] == pytest.approx(
        summary["best_abs_pearson"] / 0.8)
    for m, curve in summary["regression_abs_pearson_noise_corrected"].items():
        assert curve == pytest.approx([v / 0.8 for v in summary["regression_abs_pearson"][m]])
    # The caveat quotes the same, named non-Gaussian parameter as summary.json.
    assert "`propensity_statistics.alpha2_at_tau` in summary.json) is 1.70" in text
    assert summary["propensity_statistics"]["alpha2_at_tau"] == 1.7
    # Both supervised protocols are shown; the headline is the held-out one.
    assert summary["selection_protocol"] == "held-out"
    assert {"ii_supervised", "ii_supervised_paper"} <= set(summary["regression_abs_pearson"])
    assert "- Protocols: supervised II" in text


def test_report_compares_structures_side_by_side(synthetic_results, tmp_path):
    summary = report.write_report(synthetic_results, tmp_path, {"temperature": 0.5},
                                  inherent=synthetic_results)
    inh = summary["by_structure"]["inherent"]
    assert inh["best_feature"] == summary["best_feature"]
    assert set(inh) >= {"best_abs_pearson", "best_feature_by_descriptor",
                        "regression_abs_pearson"}
    text = (tmp_path / "report.md").read_text()
    assert "## Thermal and inherent structures" in text
    assert (tmp_path / "figures" / report.STRUCTURE_FIGURE).stat().st_size > 10_000
    assert (tmp_path / "tables" / "inherent" / "fig4a_pearson.csv").exists()
