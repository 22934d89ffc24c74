"""Tests for skii_glass.study: the Figs. 4-7 analyses on synthetic tables with known structure."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from sklearn.feature_selection import SequentialFeatureSelector
from sklearn.linear_model import Lasso, LinearRegression, lars_path

from skii_glass import study

N_FEAT = 6
INFORMATIVE = 3  # index of the feature the propensity depends on
CONSTANT = 5  # index of a constant column


def make_table(n_configs=3, n_rows=90, seed=0, noise=0.2):
    """Propensity = exp(0.8 x3) + noise; x5 constant; the rest pure noise."""
    rng = np.random.default_rng(seed)
    parts = []
    for c in range(n_configs):
        X = rng.normal(size=(n_rows, N_FEAT))
        X[:, CONSTANT] = 1.5
        p = np.exp(0.8 * X[:, INFORMATIVE]) + noise * rng.normal(size=n_rows)
        df = pd.DataFrame(X, columns=[f"f{i}" for i in range(N_FEAT)])
        df["propensity"] = p
        df["configuration"] = f"cnf{c}"
        parts.append(df)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def table():
    return make_table()


# ----------------------------------------------------------------------------- input


def test_bad_tables_raise_value_error(table):
    bad = table.copy()
    bad.loc[3, "f1"] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        study.as_study_table(bad)
    with pytest.raises(ValueError, match="propensity"):
        study.as_study_table(table.drop(columns="propensity"))
    with pytest.raises(ValueError, match="missing"):
        study.as_study_table(table, features=["f0", "nope"])
    with pytest.raises(ValueError, match="at least 2 configurations"):
        study.loco_regression(table[table.configuration == "cnf0"], methods=["lasso"])
    with pytest.raises(ValueError, match="unknown regression methods"):
        study.loco_regression(table, methods=["magic"])


def test_zscore_per_group_matches_manual():
    rng = np.random.default_rng(1)
    X = rng.normal(3, 2, size=(40, 3))
    X[:20, 2] = 7.0
    g = np.repeat([0, 1], 20)
    Z = study.zscore_per_group(X, g)
    for k in (0, 1):
        m = g == k
        for j in range(3):
            col = X[m, j]
            want = np.zeros(20) if col.std() == 0 else (col - col.mean()) / col.std()
            np.testing.assert_allclose(Z[m, j], want, atol=1e-12)


# ----------------------------------------------------------------------------- Fig. 4


def test_pearson_matches_scipy_and_flags_constant(table):
    per = study.pearson_per_configuration(table)
    assert not per["r"].isna().any()
    for c in ("cnf0", "cnf2"):
        sub = table[table.configuration == c]
        for j in (0, INFORMATIVE):
            got = per[(per.configuration == c) & (per.feature == f"f{j}")]["r"].item()
            want = stats.pearsonr(sub[f"f{j}"], sub["propensity"]).statistic
            assert got == pytest.approx(want, abs=1e-12)
    const = per[per.feature == f"f{CONSTANT}"]
    assert const["constant"].all() and (const["r"] == 0).all()
    summ = study.summarize_pearson(per)
    assert list(summ["feature"]) == [f"f{i}" for i in range(N_FEAT)]
    assert summ.loc[summ["abs_mean_r"].idxmax(), "feature"] == f"f{INFORMATIVE}"
    assert summ.loc[CONSTANT, "n_constant"] == 3
    manual = per[per.feature == "f0"]["r"].mean()
    assert summ.loc[0, "mean_r"] == pytest.approx(manual)


def test_summaries_split_descriptor_and_length():
    per = pd.DataFrame(
        {
            "configuration": [0, 0, 1, 1],
            "feature": ["theta_L2.0", "rho_L0.5"] * 2,
            "r": [0.5, 0.0, 0.7, 0.0],
            "abs_r": [0.5, 0.0, 0.7, 0.0],
            "constant": [False, True, False, True],
        }
    )
    s = study.summarize_pearson(per)
    assert s["descriptor"].tolist() == ["theta", "rho"]
    assert s["L"].tolist() == [2.0, 0.5]
    assert s["abs_mean_r"].tolist() == pytest.approx([0.6, 0.0])


def test_single_feature_imbalances_find_informative(table):
    import skii

    per = study.single_feature_imbalances(table, n_jobs=1)
    assert len(per) == 3 * N_FEAT
    summ = study.summarize_single_feature_imbalances(per)
    assert summ.loc[summ["delta_x_to_p"].idxmin(), "feature"] == f"f{INFORMATIVE}"
    assert summ.loc[summ["delta_p_to_x"].idxmin(), "feature"] == f"f{INFORMATIVE}"
    # Noise features carry no information: Delta ~ 1.
    assert summ.loc[0, "delta_x_to_p"] == pytest.approx(1.0, abs=0.15)
    # Independent check of one entry against skii on the raw (un-z-scored) columns:
    # Delta is invariant under a positive affine map of either side.
    sub = table[table.configuration == "cnf1"]
    want = skii.information_imbalance(sub[["f2"]].to_numpy(), sub[["propensity"]].to_numpy())
    got = per[(per.configuration == "cnf1") & (per.feature == "f2")]["delta_x_to_p"].item()
    assert got == pytest.approx(want, abs=1e-12)


# ----------------------------------------------------------------------------- Figs. 5-6


def test_greedy_paths_per_configuration_and_average(table):
    paths = study.greedy_paths(table, mode="supervised", n_features=3, n_jobs=1)
    assert len(paths) == 3 * 3
    first = paths[paths.n_features == 1]
    assert (first["feature_name"] == f"f{INFORMATIVE}").all()
    summ = study.summarize_paths(paths)
    assert summ["n_features"].tolist() == [1, 2, 3]
    want = paths[paths.n_features == 2]["delta_subset_to_target"].mean()
    assert summ.loc[1, "delta_subset_to_target"] == pytest.approx(want)
    # The summary's _std is the spread over configurations, not the paths' own errors.
    spread = paths[paths.n_features == 2]["delta_subset_to_target"].std(ddof=1)
    assert summ.loc[1, "delta_subset_to_target_std"] == pytest.approx(spread)
    assert summ.loc[0, "most_common_feature"] == f"f{INFORMATIVE}"
    uns = study.greedy_paths(table, mode="unsupervised", n_features=2, n_jobs=1)
    # Unsupervised objective: symmetrized imbalance against the full set, decreasing.
    for _, g in uns.groupby("configuration"):
        obj = g.sort_values("n_features")["objective"].to_numpy()
        assert obj[1] < obj[0]
        # The constant column is never picked before informative ones.
        assert f"f{CONSTANT}" not in g["feature_name"].tolist()
    # Unsupervised columns name the full feature set, and the summary keeps those names.
    us = study.summarize_paths(uns)
    assert "delta_subset_to_target" not in us.columns
    want = uns[uns.n_features == 2]["delta_full_to_subset"].mean()
    assert us.loc[1, "delta_full_to_subset"] == pytest.approx(want)
    assert {"delta_subset_to_full_std", "delta_full_to_subset_std"} <= set(us.columns)
    with pytest.raises(ValueError, match="mode"):
        study.greedy_paths(table, mode="bogus")


# ----------------------------------------------------------------------------- Lasso


def _knot_alphas_and_coefs(X, y):
    Xc, yc = X - X.mean(0), y - y.mean()
    alphas, _, coefs = lars_path(Xc, yc, method="lasso")
    return alphas, coefs


def test_lasso_select_gives_exactly_d_and_matches_sklearn_lasso():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(300, 7))
    y = X @ np.array([3.0, 0, 2.0, 0, 1.0, 0.5, 0]) + 0.3 * rng.normal(size=300)
    alphas, coefs = _knot_alphas_and_coefs(X, y)
    nnz = np.count_nonzero(coefs, axis=0)
    for d in range(1, 8):
        sel = study.lasso_select(X, y, d)
        assert len(sel) == d and len(set(sel.tolist())) == d
        k = np.flatnonzero(nnz == d)
        if k.size:
            # Any alpha strictly inside the segment before that knot has exactly this support.
            a = 0.5 * (alphas[k[0] - 1] + alphas[k[0]])
            lasso = Lasso(alpha=a, tol=1e-10, max_iter=100_000).fit(X, y)
            assert np.flatnonzero(lasso.coef_).tolist() == sel.tolist()


def test_lasso_select_falls_back_to_next_knot(monkeypatch):
    import sklearn.linear_model as lm

    # Fake path: 0 -> 1 -> 3 non-zeros (two variables enter at one knot): no alpha gives 2.
    coefs = np.array(
        [
            [0.0, 0.0, 0.5],
            [0.0, 0.9, 2.0],
            [0.0, 0.0, 0.0],
            [0.0, 0.0, -1.0],
        ]
    )
    fake = (np.array([3.0, 2.0, 1.0]), None, coefs)
    monkeypatch.setattr(lm, "lars_path_gram", lambda *a, **k: fake)
    X = np.random.default_rng(0).normal(size=(20, 4))
    assert study.lasso_select(X, X[:, 0], 1).tolist() == [1]
    assert study.lasso_select(X, X[:, 0], 2).tolist() == [1, 3]  # top-2 |coef| at knot 3
    assert study.lasso_select(X, X[:, 0], 3).tolist() == [0, 1, 3]
    # Path never reaches 4 non-zeros: filled by |corr| with the target.
    assert study.lasso_select(X, X[:, 0], 4).tolist() == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="d must be"):
        study.lasso_select(X, X[:, 0], 5)


# ----------------------------------------------------------------------------- Fig. 7


def test_ols_helper_matches_linear_regression():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(100, 5))
    X[:, 4] = 0.0  # singular column: minimum-norm solution
    y = rng.normal(size=100)
    Xt = rng.normal(size=(30, 5))
    ols = study._OLS(X, y)
    for cols in ([1], [0, 2, 3], [1, 4]):
        want = LinearRegression().fit(X[:, cols], y).predict(Xt[:, cols])
        np.testing.assert_allclose(ols.predict(cols, Xt), want, atol=1e-10)


def test_loco_regression_recovers_informative_feature(table):
    reg = study.loco_regression(table, max_d=3, n_random_draws=20, n_jobs=1)
    assert set(reg["method"]) == set(study.REGRESSION_METHODS)
    assert len(reg) == len(study.REGRESSION_METHODS) * 3 * 3
    assert reg["abs_pearson"].between(0, 1).all()
    d1 = reg[(reg.d == 1) & reg.method.isin(["ii_supervised", "lasso", "sfs", "mutual_info"])]
    assert (d1["features"] == f"f{INFORMATIVE}").all()
    summ = study.summarize_regression(reg)
    best = summ[(summ.method == "ii_supervised") & (summ.d == 1)]["mean"].item()
    rnd = summ[(summ.method == "random") & (summ.d == 1)]["mean"].item()
    assert best > 0.7 and rnd < best


def test_random_baseline_is_average_over_draws(table):
    # OLS on one feature predicts an affine map of it, so |r| = |corr(x_j, p)| on the test
    # configuration; many draws of d = 1 must average that over the features.
    reg = study.loco_regression(table, max_d=N_FEAT, methods=["random"], n_random_draws=3000,
                                n_jobs=1)
    for c in ("cnf0", "cnf1"):
        sub = table[table.configuration == c]
        r = [abs(study._pearson(sub[f"f{j}"].to_numpy(), sub["propensity"].to_numpy())[0])
             for j in range(N_FEAT)]
        got = reg[(reg.test_configuration == c) & (reg.d == 1)]["abs_pearson"].item()
        assert got == pytest.approx(np.mean(r), abs=0.02)
        # d = all features: every draw is the full set, so no averaging noise at all.
        full = reg[(reg.test_configuration == c) & (reg.d == N_FEAT)]["abs_pearson"].item()
        train = table[table.configuration != c]
        cols = [f"f{j}" for j in range(N_FEAT)]
        pred = LinearRegression().fit(train[cols], train["propensity"]).predict(sub[cols])
        assert full == pytest.approx(abs(stats.pearsonr(pred, sub["propensity"]).statistic),
                                     abs=1e-9)
    # Seeded: identical on a re-run, different with another seed.
    again = study.loco_regression(table, max_d=2, methods=["random"], n_random_draws=5, n_jobs=1)
    again2 = study.loco_regression(table, max_d=2, methods=["random"], n_random_draws=5, n_jobs=1)
    other = study.loco_regression(table, max_d=2, methods=["random"], n_random_draws=5,
                                  seed=1, n_jobs=1)
    assert again["abs_pearson"].tolist() == again2["abs_pearson"].tolist()
    assert again["abs_pearson"].tolist() != other["abs_pearson"].tolist()


def test_no_leakage_from_held_out_configuration(table, monkeypatch):
    """Selection for a fold must not see the held-out configuration in any way."""
    import skii

    seen = []
    real_paths = skii.leave_one_group_out_paths

    def recording_paths(X, y=None, **kw):
        out = real_paths(X, y, **kw)
        # Each fold's path is exactly imbalance_path over its training groups only
        # (tests/test_shared_paths.py); here: one fold per configuration, none missing.
        seen.append((kw["mode"], sorted(out["left_out_group"].unique())))
        return out

    monkeypatch.setattr(skii, "leave_one_group_out_paths", recording_paths)
    hook_calls = []
    # Every method but the paper protocol, which selects on the held-out configuration
    # by design (checked at the end).
    held_out = [m for m in study.REGRESSION_METHODS if m != "ii_supervised_paper"]
    reg = study.loco_regression(
        table, max_d=3, n_random_draws=5, n_jobs=1, methods=held_out,
        selection_hook=lambda c, rows: hook_calls.append((c, rows)),
    )
    configs = sorted(table["configuration"].unique())
    assert seen == [("supervised", configs), ("unsupervised", configs)]
    for c, rows in hook_calls:
        assert not (table["configuration"].to_numpy()[rows] == c).any()

    # Behavioural check: scramble the held-out configuration's propensity and features;
    # the features selected for that fold must not change.
    monkeypatch.setattr(skii, "leave_one_group_out_paths", real_paths)
    poisoned = table.copy()
    m = poisoned.configuration == "cnf0"
    rng = np.random.default_rng(9)
    poisoned.loc[m, "propensity"] = rng.permutation(poisoned.loc[m, "f1"].to_numpy()) * 10
    poisoned.loc[m, "f1"] = poisoned.loc[m, "propensity"] * 3
    reg2 = study.loco_regression(poisoned, max_d=3, n_random_draws=5, n_jobs=1,
                                 methods=held_out)
    key = ["method", "test_configuration", "d"]
    a = reg[reg.test_configuration == "cnf0"].set_index(key)["features"]
    b = reg2[reg2.test_configuration == "cnf0"].set_index(key)["features"]
    pd.testing.assert_series_equal(a, b)
    # ...whereas the held-out score does change (the data really were modified).
    assert not np.allclose(
        reg[reg.test_configuration == "cnf0"]["abs_pearson"],
        reg2[reg2.test_configuration == "cnf0"]["abs_pearson"],
    )
    # The paper protocol does look at the held-out configuration: poisoning it changes
    # the features it picks there (f1 now carries the scrambled propensity exactly).
    p1, p2 = (study.loco_regression(t, max_d=1, methods=["ii_supervised_paper"], n_jobs=1)
              for t in (table, poisoned))
    assert p2.loc[p2.test_configuration == "cnf0", "features"].item() == "f1"
    assert p1.loc[p1.test_configuration == "cnf0", "features"].item() != "f1"


def test_sfs_order_matches_sequential_feature_selector():
    rng = np.random.default_rng(5)
    X = rng.normal(size=(240, 6))
    y = X @ np.array([0.3, 2.0, 0, 1.0, 0, 0.6]) + rng.normal(size=240)
    g = np.repeat([0, 1, 2], 80)
    order = study._sfs_order(X, y, g, 4, 0)
    assert len(order) == 4 and len(set(order)) == 4
    from sklearn.model_selection import GroupKFold

    splits = list(GroupKFold(n_splits=2).split(X, y, g))
    for d in (1, 2, 3, 4):
        sfs = SequentialFeatureSelector(LinearRegression(), n_features_to_select=d, cv=splits)
        want = np.flatnonzero(sfs.fit(X, y).get_support()).tolist()
        assert sorted(order[:d]) == want


def test_paper_protocol_selects_on_the_held_out_configuration(table):
    """ii_supervised_paper uses the test configuration's own path (as Fig. 5); the
    held-out ii_supervised never sees it."""
    res = study.run_study(table, n_path_features=2, max_d=2, n_random_draws=5, n_jobs=1,
                          methods=["ii_supervised", "ii_supervised_paper"],
                          selection_protocol="paper")
    assert res.settings["selection_protocol"] == "paper"
    reg = res.regression
    sup = res.supervised_paths
    for c in res.pearson["configuration"].unique():
        own = sup[sup.configuration == c].sort_values("n_features")["feature_name"].tolist()
        got = reg[(reg.method == "ii_supervised_paper") & (reg.test_configuration == c)
                  & (reg.d == 2)]["features"].item()
        assert got.split(";") == own
    # Without precomputed paths the fold computes the same selection itself.
    again = study.loco_regression(table, max_d=2, methods=["ii_supervised_paper"], n_jobs=1)
    pd.testing.assert_frame_equal(
        again.reset_index(drop=True),
        reg[reg.method == "ii_supervised_paper"].reset_index(drop=True))
    with pytest.raises(ValueError, match="selection_protocol"):
        study.run_study(table, selection_protocol="own")


def test_run_study_has_every_table_without_nan(table):
    stages = []
    res = study.run_study(table, n_path_features=2, max_d=2, n_random_draws=5, n_jobs=1,
                          progress=stages.append)
    assert stages == ["pearson", "single-feature imbalances", "supervised paths",
                      "unsupervised paths", "regression"]
    for name, df in res.tables().items():
        assert len(df) > 0, name
        # L is NaN only for feature names without a coarse-graining length (as here).
        assert not df.select_dtypes("number").drop(columns="L", errors="ignore").isna().any().any()
    curves = res.regression_curves()
    assert set(curves) == set(study.REGRESSION_METHODS)
    assert all(len(v) == 2 for v in curves.values())


def test_results_do_not_depend_on_the_joblib_backend(table):
    """Per-fold work goes through joblib: a Dask cluster gives the same numbers."""
    import joblib
    from distributed import Client

    kw = dict(max_d=2, methods=["ii_supervised", "lasso", "random", "mutual_info"],
              n_random_draws=5)
    serial = study.loco_regression(table, n_jobs=1, **kw)
    with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None):
        with joblib.parallel_config(backend="dask"):
            distributed = study.loco_regression(table, n_jobs=2, **kw)
    pd.testing.assert_frame_equal(serial, distributed)


def test_ols_prefix_predictions_equal_one_fit_per_prefix():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(120, 7))
    y = X @ rng.normal(size=7) + rng.normal(size=120)
    Xt = rng.normal(size=(40, 7))
    ols = study._OLS(X, y)
    order = [3, 0, 6, 1, 5]
    got = ols.predict_prefixes(order, Xt)
    for d in range(1, 6):
        want = LinearRegression().fit(X[:, order[:d]], y).predict(Xt[:, order[:d]])
        np.testing.assert_allclose(got[:, d - 1], want, atol=1e-10)
    # A column in the span of earlier ones (here a duplicate, then a constant): the
    # prefixes through it take the minimum-norm route and still predict as sklearn does.
    X[:, 2] = X[:, 0]
    X[:, 4] = 1.5
    ols = study._OLS(X, y)
    order = [0, 2, 4, 1]
    got = ols.predict_prefixes(order, Xt)
    for d in range(1, 5):
        want = LinearRegression().fit(X[:, order[:d]], y).predict(Xt[:, order[:d]])
        np.testing.assert_allclose(got[:, d - 1], want, atol=1e-8)


def test_sfs_candidate_scores_equal_one_fit_per_candidate():
    from sklearn.metrics import r2_score

    rng = np.random.default_rng(9)
    X = rng.normal(size=(150, 6))
    X[:, 5] = X[:, 1] - X[:, 2]  # in the span of {1, 2}: adds nothing once both are in
    X[:, 4] = 2.0  # constant
    y = X[:, 1] + 0.5 * X[:, 3] + rng.normal(size=150)
    tr, te = np.arange(90), np.arange(90, 150)
    fold = study._GramFold(X, y, tr, te)
    for order in ([], [1], [1, 2], [3, 1, 2]):
        cand = [j for j in range(6) if j not in order]
        got = fold.candidate_r2(order, cand)
        for j, g in zip(cand, got, strict=True):
            cols = order + [j]
            fit = LinearRegression().fit(X[tr][:, cols], y[tr])
            assert g == pytest.approx(r2_score(y[te], fit.predict(X[te][:, cols])), abs=1e-9)


def test_abs_r_columns_equals_abs_r_per_column():
    rng = np.random.default_rng(10)
    P = rng.normal(size=(50, 4))
    P[:, 2] = 3.0  # constant prediction: r = 0
    y = P[:, 0] - 0.5 * P[:, 3] + rng.normal(size=50)
    got = study._abs_r_columns(P, y)
    np.testing.assert_allclose(got, [study._abs_r(P[:, j], y) for j in range(4)], atol=1e-14)
    assert got[2] == 0.0
