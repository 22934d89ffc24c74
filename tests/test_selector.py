import os

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.datasets import make_friedman1
from sklearn.feature_selection import SelectKBest, f_regression
from sklearn.linear_model import Lasso, LinearRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from skii import ConstantFeatureWarning, InformationImbalanceSelector, imbalance_path


@parametrize_with_checks(
    [
        InformationImbalanceSelector(),
        InformationImbalanceSelector(mode="unsupervised"),
        InformationImbalanceSelector(
            n_features_to_select=2, n_neighbors=2, ties="random", random_state=0
        ),
        InformationImbalanceSelector(tol=0.01),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def friedman():
    return make_friedman1(n_samples=2000, n_features=30, random_state=0)


def test_friedman1_informative_first(friedman):
    X, y = friedman
    sel = InformationImbalanceSelector(n_features_to_select=5).fit(X, y)
    assert set(sel.selection_order_.tolist()) == {0, 1, 2, 3, 4}
    assert sel.support_[:5].all() and not sel.support_[5:].any()
    path = sel.imbalance_path_
    assert list(path.columns) == [
        "n_features",
        "feature",
        "feature_name",
        "delta_subset_to_target",
        "delta_target_to_subset",
        "objective",
        "delta_subset_to_target_std",
        "delta_target_to_subset_std",
    ]
    # Adding informative features makes the subset more predictive of y.
    assert path["delta_subset_to_target"].iloc[-1] < path["delta_subset_to_target"].iloc[0]


def test_interaction_only_target_found_where_linear_selector_fails():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(2000, 12))
    # y is driven by the interaction x3 * x8 (uncorrelated with either alone) plus two
    # weak linear terms that attract a linear univariate selector.
    y = X[:, 3] * X[:, 8] + 0.15 * X[:, 0] + 0.15 * X[:, 5]
    sel = InformationImbalanceSelector(n_features_to_select=2).fit(X, y)
    assert set(sel.selection_order_.tolist()) == {3, 8}
    linear = SelectKBest(f_regression, k=2).fit(X, y)
    assert set(np.flatnonzero(linear.get_support()).tolist()) == {0, 5}


def test_pandas_output_and_feature_names(friedman):
    X, y = friedman
    df = pd.DataFrame(X[:300, :8], columns=[f"f{i}" for i in range(8)])
    sel = InformationImbalanceSelector(n_features_to_select=3).set_output(transform="pandas")
    out = sel.fit(df, y[:300]).transform(df)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == list(sel.get_feature_names_out())
    assert set(out.columns) == set(df.columns[sel.support_])
    assert sel.imbalance_path_["feature_name"].tolist() == [f"f{j}" for j in sel.selection_order_]
    np.testing.assert_array_equal(sel.feature_names_in_, df.columns)


@pytest.mark.parametrize("regressor", [LinearRegression(), Lasso(alpha=0.01)])
def test_pipeline(friedman, regressor):
    X, y = friedman
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("select", InformationImbalanceSelector(n_features_to_select=5)),
            ("reg", regressor),
        ]
    ).fit(X, y)
    assert pipe.named_steps["select"].n_features_to_select_ == 5
    assert pipe.score(X, y) > 0.7


def test_unsupervised_recovers_redundancy():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(800, 2))
    # Columns 0,1 carry the structure; 2,3 are near copies of them.
    X = np.column_stack(
        [
            z[:, 0],
            z[:, 1],
            z[:, 0] + 0.01 * rng.normal(size=800),
            z[:, 1] + 0.01 * rng.normal(size=800),
        ]
    )
    sel = InformationImbalanceSelector(2, mode="unsupervised").fit(X)
    chosen = set(sel.selection_order_.tolist())
    assert len(chosen & {0, 2}) == 1 and len(chosen & {1, 3}) == 1
    # y is ignored in unsupervised mode, as a Pipeline always passes it.
    sel_y = InformationImbalanceSelector(2, mode="unsupervised").fit(X, rng.normal(size=800))
    np.testing.assert_array_equal(sel.selection_order_, sel_y.selection_order_)


def test_auto_and_fraction(friedman):
    X, y = friedman
    X, y = X[:400, :10], y[:400]
    assert InformationImbalanceSelector().fit(X, y).n_features_to_select_ == 5
    assert InformationImbalanceSelector(0.3).fit(X, y).n_features_to_select_ == 3
    sel = InformationImbalanceSelector(tol=0.02).fit(X, y)
    obj = sel.imbalance_path_["objective"].to_numpy()
    assert 1 <= sel.n_features_to_select_ < 10
    assert np.all(-np.diff(obj) >= 0.02)


def test_memory_computes_path_once_per_fold(tmp_path, friedman):
    X, y = friedman
    X, y = X[:600, :10], y[:600]
    groups = np.repeat(np.arange(3), 200)
    selector = InformationImbalanceSelector(memory=str(tmp_path))
    pipe = Pipeline([("select", selector), ("reg", LinearRegression())])
    search = GridSearchCV(
        pipe, {"select__n_features_to_select": [1, 2, 3, 5, 8]}, cv=GroupKFold(n_splits=3)
    ).fit(X, y, groups=groups)
    cache_dirs = [d for d, _, files in os.walk(tmp_path) if "output.pkl" in files]
    # One cached path per training fold plus one for the final refit on all rows.
    assert len(cache_dirs) == 3 + 1
    assert search.best_params_["select__n_features_to_select"] >= 3
    # A fit from the cache equals a fresh computation truncated to the same length.
    cached = InformationImbalanceSelector(3, memory=str(tmp_path)).fit(X, y)
    fresh = InformationImbalanceSelector(3).fit(X, y)
    pd.testing.assert_frame_equal(cached.imbalance_path_, fresh.imbalance_path_)


def test_max_features_caps_cached_path(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8))
    y = X[:, 0]
    sel = InformationImbalanceSelector(2, memory=str(tmp_path), max_features=3).fit(X, y)
    assert sel.n_features_to_select_ == 2
    with pytest.raises(ValueError, match="max_features=3 is shorter"):
        InformationImbalanceSelector(5, memory=str(tmp_path), max_features=3).fit(X, y)


def test_groups_routed_through_gridsearch_and_pipeline():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(300, 5))
    offsets = np.repeat(rng.normal(scale=5, size=3), 100)
    y = X[:, 2] + offsets  # group offsets: between-group differences mislead ungrouped ranks
    groups = np.repeat([0, 1, 2], 100)
    with sklearn.config_context(enable_metadata_routing=True):
        selector = InformationImbalanceSelector(2).set_fit_request(groups=True)
        pipe = Pipeline(
            [("scale", StandardScaler()), ("select", selector), ("reg", LinearRegression())]
        )
        pipe.fit(X, y, groups=groups)
        fitted = pipe.named_steps["select"]
        expected = imbalance_path(
            StandardScaler().fit_transform(X), y, groups=groups, n_features_to_select=2
        )
        pd.testing.assert_frame_equal(fitted.imbalance_path_, expected)
        search = GridSearchCV(
            pipe, {"select__n_features_to_select": [1, 2]}, cv=GroupKFold(n_splits=3)
        )
        search.fit(X, y, groups=groups)
        assert search.best_estimator_.named_steps["select"].selection_order_[0] == 2


def test_constant_column_appended_last():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 4))
    X[:, 0] = 1.0
    y = X[:, 1] + X[:, 3]
    with pytest.warns(ConstantFeatureWarning):
        sel = InformationImbalanceSelector(4).fit(X, y)
    assert sel.selection_order_[-1] == 0


def test_bad_input_messages():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 3))
    y = X[:, 0]
    with pytest.raises(ValueError, match="n_features_to_select=4 must be at most"):
        InformationImbalanceSelector(4).fit(X, y)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        InformationImbalanceSelector(2).fit(bad, y)
    with pytest.raises(ValueError, match="requires y to be passed"):
        InformationImbalanceSelector(2).fit(X)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        InformationImbalanceSelector(2).fit(X, y[:-1])
    with pytest.raises(ValueError, match="group 1 has 1"):
        InformationImbalanceSelector(2).fit(X, y, groups=[0] * 19 + [1])
    with pytest.raises(ValueError, match="tol is only used"):
        InformationImbalanceSelector(2, tol=0.1).fit(X, y)
    with pytest.raises(ValueError, match="mode"):
        InformationImbalanceSelector(mode="semi").fit(X, y)
    with pytest.raises(ValueError, match="minimum of 2 is required"):
        InformationImbalanceSelector(1).fit(X[:1], y[:1])


def test_plots(friedman):
    pytest.importorskip("matplotlib")
    from skii.plotting import plot_imbalance_path, plot_imbalance_plane

    X, y = friedman
    sel = InformationImbalanceSelector(4).fit(X[:300, :6], y[:300])
    ax = plot_imbalance_path(sel.imbalance_path_)
    assert ax.get_ylabel() == "information imbalance"
    ax = plot_imbalance_plane(
        sel.imbalance_path_["delta_subset_to_target"],
        sel.imbalance_path_["delta_target_to_subset"],
        labels=sel.imbalance_path_["feature_name"],
    )
    assert len(ax.texts) == 4
    with pytest.raises(ValueError, match="same shape"):
        plot_imbalance_plane([0.1], [0.2, 0.3])


def test_unsupervised_path_plot_names_the_full_set(friedman):
    pytest.importorskip("matplotlib")
    from skii.plotting import plot_imbalance_path

    X, _ = friedman
    sel = InformationImbalanceSelector(3, mode="unsupervised").fit(X[:200, :5])
    path = sel.imbalance_path_
    assert {"delta_subset_to_full", "delta_full_to_subset"} <= set(path.columns)
    assert "delta_subset_to_target" not in path.columns
    ax = plot_imbalance_path(path)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Δ(X_S → X)", "Δ(X → X_S)"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), path["delta_subset_to_full"])


def test_string_dataframe_column_is_named_by_the_selector():
    X = pd.DataFrame({"a": np.arange(6.0), "b": np.arange(6.0) ** 2, "kind": list("xyzxyz")})
    with pytest.raises(ValueError, match="column 'kind' is not numeric"):
        InformationImbalanceSelector(1).fit(X, np.arange(6.0))
    with pytest.raises(ValueError, match="column 'kind' is not numeric"):
        InformationImbalanceSelector(1, mode="unsupervised").fit(X)
