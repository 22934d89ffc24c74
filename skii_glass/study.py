"""The analyses of Sharma, Liu & Ozawa (2024), Figs. 4-7, on a table of features.

Everything here works on a plain :class:`pandas.DataFrame` with one row per particle:
feature columns (the 60 coarse-grained descriptors, or any others), a ``propensity``
column and a ``configuration`` column (the id of the equilibrium configuration the
particle belongs to). How the table was produced does not matter, so the same code runs on
simulated glasses, on the bundled dataset and on synthetic data in the tests.

Conventions (as in the paper unless stated):

* Pearson r and information imbalances are computed *within* one configuration and then
  averaged over configurations. For the imbalance analyses the features and the propensity
  are z-scored within each configuration first (Delta of a single feature does not depend
  on it; greedy paths over several features do).
* A constant column has no Pearson r; it is reported as 0 and flagged (``constant``).
* Fig. 7 (leave-one-configuration-out regression): for every held-out configuration the
  scaler, every feature selection and the OLS weights see only the training
  configurations (information-imbalance selection on features z-scored within each
  training configuration). The paper's code picked the supervised-II features with the
  test configuration's own propensity; that protocol is the extra method
  ``ii_supervised_paper``, and the held-out ``ii_supervised`` lets nothing of the held-out
  configuration leak in.
* Lasso selection: the Lasso path (``sklearn.linear_model.lars_path``, exact knots) is
  scanned for the largest alpha with exactly d non-zero weights; if no alpha gives exactly
  d, the d largest |coef| at the next knot with more than d non-zeros are taken. The d
  features are then refit by ordinary least squares.
* Random selection: the first d features of ``n_random_draws`` seeded random orderings,
  each refit by OLS; the |r| are averaged over draws.
* Extra baselines: sklearn's forward ``SequentialFeatureSelector`` (linear regression,
  R^2, 2-fold GroupKFold over the training configurations) and ``SelectKBest`` with
  ``mutual_info_regression``. Both are run on a seeded random subsample of the training
  rows (``baseline_max_rows``) to stay cheap.

Per-configuration and per-fold work is dispatched with joblib, so
``joblib.parallel_config(backend="dask")`` spreads it over a Dask cluster.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import Parallel, delayed, parallel_config

from skii._parallel import call_with_threads, n_workers, threads_per_worker

__all__ = [
    "StudyTable",
    "REGRESSION_METHODS",
    "SELECTION_PROTOCOLS",
    "PROTOCOL_METHOD",
    "as_study_table",
    "zscore_per_group",
    "pearson_per_configuration",
    "summarize_pearson",
    "single_feature_imbalances",
    "summarize_single_feature_imbalances",
    "greedy_paths",
    "summarize_paths",
    "lasso_select",
    "loco_regression",
    "summarize_regression",
    "StudyResults",
    "run_study",
]

#: How the supervised-II features of a held-out configuration are chosen (Fig. 7).
SELECTION_PROTOCOLS: tuple[str, ...] = ("held-out", "paper")
#: The Fig. 7 method of each selection protocol.
PROTOCOL_METHOD: dict[str, str] = {"held-out": "ii_supervised", "paper": "ii_supervised_paper"}

#: Fig. 7 methods, in the order the report lists them.
REGRESSION_METHODS: tuple[str, ...] = (
    "ii_supervised",
    "ii_supervised_paper",
    "ii_unsupervised",
    "lasso",
    "random",
    "sfs",
    "mutual_info",
)


# ----------------------------------------------------------------------------- workers


def _threads_per_worker(n_jobs) -> int:
    """numba threads for each of joblib's workers: cores // workers (no oversubscription)."""
    return threads_per_worker(n_workers(n_jobs))


# ----------------------------------------------------------------------------- input


@dataclass(frozen=True)
class StudyTable:
    """Validated arrays behind a study table (built by :func:`as_study_table`).

    Attributes
    ----------
    X : float64 array of shape (n_rows, n_features)
        Feature columns.
    y : float64 array of shape (n_rows,)
        Propensity.
    groups : array of shape (n_rows,)
        Configuration id of each row.
    feature_names : list of str
    configurations : list
        The distinct configuration ids, sorted.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a_L1.0", "a_L2.0", "c"])
    >>> t["propensity"] = t["a_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> st = as_study_table(t)
    >>> st.X.shape, st.y.shape, st.n_features, st.configurations
    ((60, 3), (60,), 3, [0, 1, 2])
    """

    X: np.ndarray  # (n_rows, n_features) float64
    y: np.ndarray  # (n_rows,) float64
    groups: np.ndarray  # (n_rows,) configuration ids
    feature_names: list[str]
    configurations: list  # the distinct ids, sorted

    @property
    def n_features(self) -> int:
        return self.X.shape[1]


def as_study_table(
    table: pd.DataFrame,
    *,
    features: Sequence[str] | None = None,
    target: str = "propensity",
    group: str = "configuration",
) -> StudyTable:
    """Check a study table and pull out its arrays.

    Parameters
    ----------
    table : DataFrame
        One row per particle.
    features : list of str, optional
        Feature columns; default every column except ``target`` and ``group``.
    target, group : str
        Names of the propensity and configuration-id columns.

    Returns
    -------
    StudyTable

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"a": [1.0, 2, 3, 4, 5, 6], "propensity": [0.1, 0.2, 0.3, 0.5, 0, 1],
    ...                   "configuration": [0, 0, 0, 1, 1, 1]})
    >>> st = as_study_table(t)
    >>> st.feature_names, st.configurations
    (['a'], [0, 1])
    """
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"the study table must be a pandas DataFrame, got {type(table).__name__}")
    for col in (target, group):
        if col not in table.columns:
            raise ValueError(f"the study table has no {col!r} column")
    if features is None:
        features = [c for c in table.columns if c not in (target, group)]
    features = list(features)
    if not features:
        raise ValueError("the study table has no feature columns")
    missing = [f for f in features if f not in table.columns]
    if missing:
        raise ValueError(f"feature columns missing from the study table: {missing[:5]}")
    try:
        X = table[features].to_numpy(dtype=np.float64)
        y = table[target].to_numpy(dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise ValueError(f"feature and target columns must be numeric: {err}") from None
    if not np.all(np.isfinite(X)):
        bad = [f for f, ok in zip(features, np.isfinite(X).all(axis=0), strict=True) if not ok]
        raise ValueError(f"feature columns contain NaN or infinite values: {bad[:5]}")
    if not np.all(np.isfinite(y)):
        raise ValueError(f"the {target!r} column contains NaN or infinite values")
    groups = table[group].to_numpy()
    configurations = sorted(pd.unique(groups).tolist())
    counts = pd.Series(groups).value_counts()
    if counts.min() < 3:
        raise ValueError(
            f"configuration {counts.idxmin()} has {counts.min()} particles; need at least 3"
        )
    return StudyTable(X, y, groups, features, configurations)


def zscore_per_group(X: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Z-score every column within each group; a column constant in a group becomes 0.

    Examples
    --------
    >>> import numpy as np
    >>> zscore_per_group(np.array([[1.0], [3.0], [5.0], [5.0]]), np.array([0, 0, 1, 1])).ravel()
    array([-1.,  1.,  0.,  0.])
    """
    X = np.asarray(X, dtype=np.float64)
    squeeze = X.ndim == 1
    X2 = X.reshape(len(X), -1)
    out = np.zeros_like(X2)
    for g in pd.unique(np.asarray(groups)):
        m = groups == g
        block = X2[m]
        mu = block.mean(axis=0)
        sd = block.std(axis=0)
        sd_safe = np.where(sd > 0, sd, 1.0)
        out[m] = np.where(sd > 0, (block - mu) / sd_safe, 0.0)
    return out.ravel() if squeeze else out


# ----------------------------------------------------------------------------- Fig. 4a


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, bool]:
    """Pearson r, or (0, True) when either side is constant."""
    xc = x - x.mean()
    yc = y - y.mean()
    sx = np.sqrt(xc @ xc)
    sy = np.sqrt(yc @ yc)
    # Relative tolerance: a column that is constant up to float rounding is constant.
    if sx <= 1e-12 * max(1.0, np.abs(x).max()) * np.sqrt(len(x)) or sy == 0:
        return 0.0, True
    return float(np.clip(xc @ yc / (sx * sy), -1.0, 1.0)), False


def pearson_per_configuration(table: pd.DataFrame, **kwargs) -> pd.DataFrame:
    """Pearson r of every feature with the propensity, within each configuration.

    Returns a long table with columns ``configuration``, ``feature``, ``r``, ``abs_r``
    and ``constant`` (True where the feature is constant in that configuration; r = 0).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"a": [1.0, 2, 3, 1, 2, 3], "b": [1.0] * 6,
    ...                   "propensity": [1.0, 2, 3, 3, 2, 1], "configuration": [0] * 3 + [1] * 3})
    >>> pearson_per_configuration(t)[["configuration", "feature", "r", "constant"]]
       configuration feature    r  constant
    0              0       a  1.0     False
    1              0       b  0.0      True
    2              1       a -1.0     False
    3              1       b  0.0      True
    """
    st = as_study_table(table, **kwargs)
    rows = []
    for c in st.configurations:
        m = st.groups == c
        y = st.y[m]
        for j, name in enumerate(st.feature_names):
            r, const = _pearson(st.X[m, j], y)
            rows.append((c, name, r, abs(r), const))
    return pd.DataFrame(rows, columns=["configuration", "feature", "r", "abs_r", "constant"])


def _split_name(name: str) -> tuple[str, float]:
    """``theta_L2.0`` -> ("theta", 2.0); other names -> (name, nan)."""
    head, sep, tail = name.rpartition("_L")
    if sep:
        try:
            return head, float(tail)
        except ValueError:
            pass
    return name, float("nan")


def summarize_pearson(per_configuration: pd.DataFrame) -> pd.DataFrame:
    """Average :func:`pearson_per_configuration` over configurations (paper Fig. 4a).

    Columns: ``feature``, ``descriptor``, ``L``, ``mean_r`` (signed), ``abs_mean_r``
    (|mean r|, what the paper plots), ``mean_abs_r``, ``std_r`` and ``n_constant`` (number
    of configurations where the feature was constant). Rows keep the input feature order.
    Feature names ``<descriptor>_L<length>`` are split into ``descriptor`` and ``L``.

    Parameters
    ----------
    per_configuration : DataFrame
        Output of :func:`pearson_per_configuration`.

    Returns
    -------
    DataFrame
        One row per feature.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a_L1.0", "a_L2.0", "c"])
    >>> t["propensity"] = t["a_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> s = summarize_pearson(pearson_per_configuration(t))
    >>> s[["feature", "descriptor", "L", "n_constant"]]
      feature descriptor    L  n_constant
    0  a_L1.0          a  1.0           0
    1  a_L2.0          a  2.0           0
    2       c          c  NaN           0
    >>> s["abs_mean_r"].round(2).tolist()
    [0.04, 0.94, 0.11]
    """
    order = pd.unique(per_configuration["feature"])
    g = per_configuration.groupby("feature", sort=False)
    out = pd.DataFrame(
        {
            "mean_r": g["r"].mean(),
            "mean_abs_r": g["abs_r"].mean(),
            "std_r": g["r"].std(ddof=1).fillna(0.0),
            "n_constant": g["constant"].sum().astype(int),
        }
    ).reindex(order)
    out["abs_mean_r"] = out["mean_r"].abs()
    out.index.name = "feature"
    out = out.reset_index()
    parts = [_split_name(n) for n in out["feature"]]
    out.insert(1, "descriptor", [p[0] for p in parts])
    out.insert(2, "L", [p[1] for p in parts])
    return out


# ----------------------------------------------------------------------------- Fig. 4b-d


def _single_feature_imbalances_one(X, y, names, config, n_neighbors, ties):
    import skii

    rows = []
    for j, name in enumerate(names):
        a, b = skii.information_imbalances(
            X[:, j : j + 1], y.reshape(-1, 1), n_neighbors=n_neighbors, ties=ties
        )
        rows.append((config, name, float(a), float(b), bool(np.all(X[:, j] == X[0, j]))))
    return rows


def single_feature_imbalances(
    table: pd.DataFrame,
    *,
    n_neighbors: int = 1,
    ties: str = "average",
    n_jobs: int | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Delta(x_j -> p) and Delta(p -> x_j) for every feature within each configuration.

    Features and propensity are z-scored per configuration (paper Figs. 4b-d). Returns
    columns ``configuration``, ``feature``, ``delta_x_to_p``, ``delta_p_to_x``,
    ``constant``.

    Parameters
    ----------
    table : DataFrame
        Study table (see :func:`as_study_table`, which takes the other keyword arguments).
    n_neighbors : int, default 1
        Neighbour rank k of the information imbalance.
    ties : str, default "average"
        Tie handling, as in :func:`skii.information_imbalances`.
    n_jobs : int, optional
        joblib workers over configurations.

    Returns
    -------
    DataFrame
        One row per configuration and feature.

    Examples
    --------
    The propensity follows ``a_L2.0``, so that feature predicts it best (smallest
    Delta(x -> p)) in every configuration:

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a_L1.0", "a_L2.0", "c"])
    >>> t["propensity"] = t["a_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> imb = single_feature_imbalances(t)
    >>> imb.shape
    (9, 5)
    >>> imb.loc[imb.groupby("configuration")["delta_x_to_p"].idxmin(), "feature"].tolist()
    ['a_L2.0', 'a_L2.0', 'a_L2.0']
    """
    st = as_study_table(table, **kwargs)
    Xz = zscore_per_group(st.X, st.groups)
    yz = zscore_per_group(st.y, st.groups)
    nt = _threads_per_worker(n_jobs)
    jobs = (
        delayed(call_with_threads)(
            nt, _single_feature_imbalances_one,
            Xz[st.groups == c], yz[st.groups == c], st.feature_names, c, n_neighbors, ties
        )
        for c in st.configurations
    )
    rows = [r for part in Parallel(n_jobs=n_jobs)(jobs) for r in part]
    return pd.DataFrame(
        rows, columns=["configuration", "feature", "delta_x_to_p", "delta_p_to_x", "constant"]
    )


def summarize_single_feature_imbalances(per_configuration: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation over configurations of :func:`single_feature_imbalances`.

    Parameters
    ----------
    per_configuration : DataFrame
        Output of :func:`single_feature_imbalances`.

    Returns
    -------
    DataFrame
        One row per feature (input order): ``feature``, ``descriptor``, ``L``,
        ``delta_x_to_p``, ``delta_x_to_p_std``, ``delta_p_to_x``, ``delta_p_to_x_std``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a_L1.0", "a_L2.0", "c"])
    >>> t["propensity"] = t["a_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> s = summarize_single_feature_imbalances(single_feature_imbalances(t))
    >>> s["feature"].tolist(), s["delta_x_to_p"].round(2).tolist()
    (['a_L1.0', 'a_L2.0', 'c'], [1.1, 0.44, 1.05])
    """
    order = pd.unique(per_configuration["feature"])
    g = per_configuration.groupby("feature", sort=False)
    out = pd.DataFrame(
        {
            "delta_x_to_p": g["delta_x_to_p"].mean(),
            "delta_x_to_p_std": g["delta_x_to_p"].std(ddof=1).fillna(0.0),
            "delta_p_to_x": g["delta_p_to_x"].mean(),
            "delta_p_to_x_std": g["delta_p_to_x"].std(ddof=1).fillna(0.0),
        }
    ).reindex(order)
    out.index.name = "feature"
    out = out.reset_index()
    parts = [_split_name(n) for n in out["feature"]]
    out.insert(1, "descriptor", [p[0] for p in parts])
    out.insert(2, "L", [p[1] for p in parts])
    return out


# ----------------------------------------------------------------------------- Figs. 5-6


def _path_one(X, y, names, config, mode, n_features, n_neighbors, ties, random_state):
    import skii

    with warnings.catch_warnings():
        # Constant columns are appended last with a warning; the report flags them itself.
        warnings.simplefilter("ignore", UserWarning)
        path = skii.imbalance_path(
            X,
            y if mode == "supervised" else None,
            mode=mode,
            n_features_to_select=n_features,
            n_neighbors=n_neighbors,
            ties=ties,
            random_state=random_state,
            feature_names=list(names),
        )
    path = path.copy()
    path.insert(0, "configuration", config)
    return path


def greedy_paths(
    table: pd.DataFrame,
    *,
    mode: str = "supervised",
    n_features: int = 15,
    n_neighbors: int = 1,
    ties: str = "average",
    random_state: int | None = 0,
    n_jobs: int | None = None,
    **kwargs,
) -> pd.DataFrame:
    """Greedy information-imbalance selection within each configuration (Figs. 5, 6).

    Features (and the propensity) are z-scored per configuration. Returns the
    :func:`skii.imbalance_path` tables of all configurations stacked, with a leading
    ``configuration`` column.

    Parameters
    ----------
    table : DataFrame
        Study table (see :func:`as_study_table`, which takes the other keyword arguments).
    mode : {"supervised", "unsupervised"}
        Predict the propensity, or the full feature set.
    n_features : int, default 15
        Path length (capped at the number of features).
    n_neighbors, ties, random_state
        As for :func:`skii.imbalance_path`.
    n_jobs : int, optional
        joblib workers over configurations.

    Returns
    -------
    DataFrame
        ``n_features`` rows per configuration.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a_L1.0", "a_L2.0", "c"])
    >>> t["propensity"] = t["a_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> paths = greedy_paths(t, n_features=2)
    >>> paths.shape
    (6, 9)
    >>> paths.loc[paths["n_features"] == 1, "feature_name"].tolist()
    ['a_L2.0', 'a_L2.0', 'a_L2.0']
    """
    if mode not in ("supervised", "unsupervised"):
        raise ValueError(f"mode must be 'supervised' or 'unsupervised', got {mode!r}")
    st = as_study_table(table, **kwargs)
    n_features = min(int(n_features), st.n_features)
    if n_features < 1:
        raise ValueError("n_features must be at least 1")
    Xz = zscore_per_group(st.X, st.groups)
    yz = zscore_per_group(st.y, st.groups)
    nt = _threads_per_worker(n_jobs)
    jobs = (
        delayed(call_with_threads)(
            nt,
            _path_one,
            Xz[st.groups == c],
            yz[st.groups == c],
            st.feature_names,
            c,
            mode,
            n_features,
            n_neighbors,
            ties,
            random_state,
        )
        for c in st.configurations
    )
    return pd.concat(Parallel(n_jobs=n_jobs)(jobs), ignore_index=True)


def summarize_paths(paths: pd.DataFrame) -> pd.DataFrame:
    """Average the per-configuration greedy paths over configurations at every d.

    The selected features differ between configurations; as in the paper, the imbalances
    at step d are averaged regardless. ``most_common_feature`` is the most frequent step-d
    choice.

    Parameters
    ----------
    paths : DataFrame
        Output of :func:`greedy_paths`.

    Returns
    -------
    DataFrame
        One row per d: mean and std of the imbalances and of the objective.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a_L1.0", "a_L2.0", "c"])
    >>> t["propensity"] = t["a_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> s = summarize_paths(greedy_paths(t, n_features=2))
    >>> s[["n_features", "most_common_feature"]]
       n_features most_common_feature
    0           1              a_L2.0
    1           2                   c
    >>> s["objective"].round(2).tolist()
    [0.44, 0.48]
    """
    g = paths.groupby("n_features")
    # Supervised paths hold delta_*_target*, unsupervised ones delta_*_full*; their
    # per-configuration standard errors (delta_*_std) are not averaged here.
    deltas = [c for c in paths.columns if c.startswith("delta_") and not c.endswith("_std")]
    stats = {}
    for c in deltas:
        stats[c] = g[c].mean()
        stats[c + "_std"] = g[c].std(ddof=1).fillna(0.0)
    out = pd.DataFrame(
        {
            **stats,
            "objective": g["objective"].mean(),
            "objective_std": g["objective"].std(ddof=1).fillna(0.0),
            "most_common_feature": g["feature_name"].agg(lambda s: s.value_counts().index[0]),
        }
    )
    return out.reset_index()


# ----------------------------------------------------------------------------- Fig. 7


def lasso_select(X: np.ndarray, y: np.ndarray, d: int) -> np.ndarray:
    """Indices of exactly ``d`` features chosen by the Lasso path.

    The exact Lasso path (LARS) is scanned from large to small alpha. If some alpha has
    exactly d non-zero weights, those d features are returned (at the largest such alpha).
    Otherwise the d largest |coef| at the first knot with more than d non-zero weights
    are returned. If the path never reaches d non-zeros (rank-deficient X, e.g. constant
    columns), the remaining slots are filled with the unused features of largest
    |corr(x, y)| (constant columns last).

    ``X`` should be standardized; both X and y are centred here (Lasso with intercept).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 5))
    >>> y = 3 * X[:, 2] + 1 * X[:, 0] + 0.1 * rng.normal(size=200)
    >>> lasso_select(X, y, 1).tolist(), sorted(lasso_select(X, y, 2).tolist())
    ([2], [0, 2])
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    n_feat = X.shape[1]
    if not 1 <= d <= n_feat:
        raise ValueError(f"d must be between 1 and {n_feat}, got {d}")
    return _LassoPath(X, y).select(d)


class _LassoPath:
    """The exact Lasso path of (X, y), computed once; :meth:`select` picks d features."""

    def __init__(self, X: np.ndarray, y: np.ndarray):
        from sklearn.linear_model import lars_path_gram

        self.Xc = X - X.mean(axis=0)
        self.yc = y - y.mean()
        n_feat = X.shape[1]
        # LARS needs only X'X and X'y: from the Gram matrix it runs in n_features
        # dimensions instead of n_samples (5x faster on the study's folds, same selections).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning on collinear columns
            _, _, self.coefs = lars_path_gram(
                self.Xc.T @ self.yc, self.Xc.T @ self.Xc, n_samples=X.shape[0],
                method="lasso", max_iter=max(500, 8 * n_feat),
            )

    def select(self, d: int) -> np.ndarray:
        return _select_from_path(self.coefs, self.Xc, self.yc, d)


def _select_from_path(coefs: np.ndarray, Xc: np.ndarray, yc: np.ndarray, d: int) -> np.ndarray:
    """See :func:`lasso_select`."""
    nnz = np.count_nonzero(coefs, axis=0)
    exact = np.flatnonzero(nnz == d)
    if exact.size:
        return np.flatnonzero(coefs[:, exact[0]])
    over = np.flatnonzero(nnz > d)
    if over.size:
        col = np.abs(coefs[:, over[0]])
        # Stable order: largest |coef| first, ties by index.
        return np.sort(np.argsort(-col, kind="stable")[:d])
    chosen = list(np.flatnonzero(coefs[:, -1]))
    sd = Xc.std(axis=0)
    corr = np.where(sd > 0, np.abs(Xc.T @ yc) / np.where(sd > 0, sd, 1.0), -1.0)
    for j in np.argsort(-corr, kind="stable"):
        if len(chosen) == d:
            break
        if j not in chosen:
            chosen.append(int(j))
    return np.sort(np.asarray(chosen, dtype=np.int64))


class _OLS:
    """Least squares with intercept on column subsets, from one Gram matrix per fold.

    Every Fig. 7 refit uses a subset of the same training columns, so the normal equations
    are formed once and each fit solves a (d+1) x (d+1) system (lstsq: singular subsets
    such as constant columns get the minimum-norm solution, like LinearRegression).
    """

    def __init__(self, X: np.ndarray, y: np.ndarray):
        self.mu = X.mean(axis=0)
        self.ymu = y.mean()
        Xc = X - self.mu
        self.G = Xc.T @ Xc
        self.b = Xc.T @ (y - self.ymu)

    def predict(self, cols: Sequence[int], X_test: np.ndarray) -> np.ndarray:
        cols = np.asarray(cols, dtype=np.int64)
        G = self.G[np.ix_(cols, cols)]
        w = np.linalg.lstsq(G, self.b[cols], rcond=None)[0]
        return (X_test[:, cols] - self.mu[cols]) @ w + self.ymu

    def predict_prefixes(self, order: Sequence[int], X_test: np.ndarray) -> np.ndarray:
        """Predictions of the fits on ``order[:1]``, ``order[:2]``, ...: column d - 1 of
        the result is ``predict(order[:d], X_test)``.

        The Cholesky factor of a leading block is the leading block of the factor, so one
        factorisation and one triangular inverse serve every prefix; a subset that is
        (numerically) singular goes to :meth:`predict`, whose lstsq gives the minimum-norm
        fit.
        """
        from scipy.linalg import solve_triangular

        cols = np.asarray(order, dtype=np.int64)
        G = self.G[np.ix_(cols, cols)]
        try:
            L = np.linalg.cholesky(G)
        except np.linalg.LinAlgError:
            L = None
        if L is None or np.any(np.diag(L) ** 2 <= 1e-10 * np.diag(G)):
            return np.column_stack([self.predict(cols[:d], X_test)
                                    for d in range(1, len(cols) + 1)])
        # The leading block of L^-1 is the inverse of L's leading block, so the weights of
        # prefix d are w_d = L^-1[:d, :d]' z[:d] with z = L^-1 b: W[a, d - 1] is the sum
        # over c < d of L^-1[c, a] z[c], a cumulative sum.
        Linv = solve_triangular(L, np.eye(len(cols)), lower=True)
        z = Linv @ self.b[cols]
        W = np.cumsum(Linv * z[:, None], axis=0).T
        return (X_test[:, cols] - self.mu[cols]) @ W + self.ymu


def _abs_r(pred: np.ndarray, truth: np.ndarray) -> float:
    return abs(_pearson(pred, truth)[0])


def _abs_r_columns(preds: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """:func:`_abs_r` of every column of ``preds`` (n, m) at once (same tolerance)."""
    xc = preds - preds.mean(axis=0)
    yc = truth - truth.mean()
    sx = np.sqrt(np.einsum("nm,nm->m", xc, xc))
    sy = np.sqrt(yc @ yc)
    const = (sx <= 1e-12 * np.maximum(1.0, np.abs(preds).max(axis=0)) * np.sqrt(len(truth))) \
        | (sy == 0)
    r = np.clip((yc @ xc) / np.where(const, 1.0, sx * sy), -1.0, 1.0)
    return np.where(const, 0.0, np.abs(r))


def _sfs_splits(X, y, groups, random_state):
    """The 2-fold CV of the SFS baseline: GroupKFold over training configurations."""
    from sklearn.model_selection import GroupKFold, KFold

    if len(np.unique(groups)) >= 2:
        return list(GroupKFold(n_splits=2).split(X, y, groups))
    return list(KFold(2, shuffle=True, random_state=random_state).split(X))


def _sfs_order(X, y, groups, n_features, random_state):
    """Order of sklearn's forward ``SequentialFeatureSelector`` (LinearRegression, R^2,
    2-fold GroupKFold over the training configurations), in one forward pass.

    Forward selection is nested (the first d choices do not depend on how many are asked
    for), so one pass gives the whole order; sklearn's estimator reports only a support mask
    and would need one fit per d. Each step adds the candidate with the largest mean test
    R^2, the first in column order on exact ties, as sklearn does. All candidates of a step
    are fitted at once from the training fold's Gram matrix
    (:meth:`_GramFold.candidate_r2`) instead of one ``LinearRegression`` each (the test
    suite checks the supports agree).
    """
    splits = [_GramFold(X, y, tr, te) for tr, te in _sfs_splits(X, y, groups, random_state)]
    order: list[int] = []
    remaining = list(range(X.shape[1]))
    for _ in range(min(n_features, X.shape[1])):
        scores = np.mean([f.candidate_r2(order, remaining) for f in splits], axis=0)
        best = remaining[int(np.argmax(scores))]
        order.append(best)
        remaining.remove(best)
    return order


class _GramFold:
    """One CV split of the SFS baseline: training moments and centred test data."""

    def __init__(self, X, y, tr, te):
        mu = X[tr].mean(axis=0)
        self.ymu = y[tr].mean()
        Xc = X[tr] - mu
        self.G = Xc.T @ Xc
        self.b = Xc.T @ (y[tr] - self.ymu)
        self.Xt = X[te] - mu
        self.yt = y[te]
        self.ss_tot = float(np.sum((self.yt - self.yt.mean()) ** 2))

    def candidate_r2(self, order: list[int], cand: list[int]) -> np.ndarray:
        """Test R^2 of least squares (with intercept) on ``order + [j]`` for every j in
        ``cand``, by block elimination: with A = G_OO^+ G_OJ and the Schur complements
        s_j = G_jj - G_Oj' A_j, the coefficient of j is (b_j - A_j' b_O) / s_j and those
        of O are w_O - A_j w_j. A candidate in the span of O (s_j ~ 0) adds nothing: its
        fit is that of O, which is what the minimum-norm solution predicts."""
        J = np.asarray(cand, dtype=np.int64)
        gjj = self.G[J, J]
        if order:
            O = np.asarray(order, dtype=np.int64)
            G_oj = self.G[np.ix_(O, J)]
            sol = np.linalg.lstsq(self.G[np.ix_(O, O)], np.column_stack([G_oj, self.b[O]]),
                                  rcond=None)[0]
            A, w_o = sol[:, :-1], sol[:, -1]
            s = gjj - np.einsum("oj,oj->j", G_oj, A)
            num = self.b[J] - A.T @ self.b[O]
            base = self.Xt[:, O] @ w_o
            new_part = self.Xt[:, J] - self.Xt[:, O] @ A
        else:
            s, num = gjj, self.b[J]
            base = np.zeros(len(self.yt))
            new_part = self.Xt[:, J]
        if self.ss_tot <= 0:
            return np.zeros(len(J))
        keep = s > 1e-12 * np.maximum(gjj, np.finfo(float).tiny)
        wj = np.where(keep, num / np.where(keep, s, 1.0), 0.0)
        pred = self.ymu + base[:, None] + new_part * wj
        return 1.0 - np.sum((self.yt[:, None] - pred) ** 2, axis=0) / self.ss_tot


def _subsample(n_rows: int, max_rows: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_rows is None or n_rows <= max_rows:
        return np.arange(n_rows)
    return np.sort(rng.choice(n_rows, size=max_rows, replace=False))


def _loco_fold(
    X,
    y,
    groups,
    names,
    test_config,
    *,
    methods,
    max_d,
    n_neighbors,
    ties,
    n_random_draws,
    baseline_max_rows,
    seed,
    selection_hook,
    ii_orders,
    paper_order=None,
):
    from sklearn.feature_selection import mutual_info_regression
    from sklearn.preprocessing import StandardScaler

    import skii

    test = groups == test_config
    train = ~test
    # Everything below is fit on the training configurations only.
    scaler = StandardScaler().fit(X[train])
    Xtr = scaler.transform(X[train])
    Xte = scaler.transform(X[test])
    ytr, yte, gtr = y[train], y[test], groups[train]
    if selection_hook is not None:
        selection_hook(test_config, np.flatnonzero(train))
    ols = _OLS(Xtr, ytr)
    ss = np.random.SeedSequence([seed, len(names), _stable_hash(test_config)])
    rng_sub, rng_mi = (np.random.default_rng(s) for s in ss.spawn(2))

    orders: dict[str, list[int]] = {}
    records = []

    for mode in ("supervised", "unsupervised"):
        if f"ii_{mode}" in methods:
            orders[f"ii_{mode}"] = list(ii_orders[mode])
    if "ii_supervised_paper" in methods:
        # The authors' protocol: the features are chosen with the held-out configuration's
        # own propensity (its Fig. 5 path, z-scored within it); only OLS is held out.
        if paper_order is None or len(paper_order) < max_d:
            xt = zscore_per_group(X[test], groups[test])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                path = skii.imbalance_path(xt, y[test], n_features_to_select=max_d,
                                           n_neighbors=n_neighbors, ties=ties,
                                           random_state=seed)
            paper_order = [int(f) for f in path["feature"]]
        orders["ii_supervised_paper"] = list(paper_order[:max_d])
    sub = _subsample(len(ytr), baseline_max_rows, rng_sub)
    if "sfs" in methods:
        orders["sfs"] = _sfs_order(Xtr[sub], ytr[sub], gtr[sub], max_d, seed)
    if "mutual_info" in methods:
        import numba

        # Threads (the fold's numba budget; the estimate releases the GIL in its
        # neighbour searches): the same values as serially, no process start-up.
        with parallel_config(backend="threading"):
            mi = mutual_info_regression(
                Xtr[sub], ytr[sub], random_state=int(rng_mi.integers(2**31 - 1)),
                n_jobs=numba.get_num_threads(),
            )
        orders["mutual_info"] = [int(j) for j in np.argsort(-mi, kind="stable")[:max_d]]

    for method, order in orders.items():
        r = _abs_r_columns(ols.predict_prefixes(order[:max_d], Xte), yte)
        for d in range(1, max_d + 1):
            records.append((method, test_config, d, float(r[d - 1]),
                            ";".join(names[c] for c in order[:d])))
    if "lasso" in methods:
        lasso = _LassoPath(Xtr, ytr)
        for d in range(1, max_d + 1):
            cols = lasso.select(d)
            records.append(("lasso", test_config, d, _abs_r(ols.predict(cols, Xte), yte),
                            ";".join(names[c] for c in cols)))
    if "random" in methods:
        # The same seeded orderings for every fold: draw r is one fixed random ordering.
        draws = np.random.default_rng(np.random.SeedSequence([seed, 7])).permuted(
            np.tile(np.arange(len(names)), (n_random_draws, 1)), axis=1
        )
        acc = np.zeros(max_d)
        for perm in draws:
            acc += _abs_r_columns(ols.predict_prefixes(perm[:max_d], Xte), yte)
        for d in range(1, max_d + 1):
            records.append(("random", test_config, d, acc[d - 1] / n_random_draws,
                            f"mean of {n_random_draws} random draws"))
    return records


def _ii_orders(st, methods, max_d, n_neighbors, ties, seed, n_jobs) -> dict:
    """{mode: {held-out configuration: feature order}} of the held-out II selections.

    Each fold's path is the greedy path over its training configurations, with features
    and propensity z-scored within each configuration (as Figs. 5-6; no statistic of the
    held-out configuration enters). A configuration's imbalances then do not depend on
    the fold, so :func:`skii.leave_one_group_out_paths` computes all folds together,
    sharing the per-configuration work while their paths agree.
    """
    import skii

    modes = [m for m in ("supervised", "unsupervised") if f"ii_{m}" in methods]
    if not modes:
        return {}
    Xz = zscore_per_group(st.X, st.groups)
    yz = zscore_per_group(st.y, st.groups)
    out = {}
    for mode in modes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            paths = skii.leave_one_group_out_paths(
                Xz, yz if mode == "supervised" else None, groups=st.groups, mode=mode,
                n_features_to_select=max_d, n_neighbors=n_neighbors, ties=ties,
                random_state=seed, n_jobs=n_jobs,
            )
        out[mode] = {c: [int(f) for f in g["feature"]]
                     for c, g in paths.groupby("left_out_group", sort=False)}
    return out


def _stable_hash(value) -> int:
    """A process-independent integer for a configuration id (seeding only)."""
    import zlib

    return zlib.crc32(repr(value).encode())


def loco_regression(
    table: pd.DataFrame,
    *,
    max_d: int = 15,
    methods: Sequence[str] = REGRESSION_METHODS,
    n_neighbors: int = 1,
    ties: str = "average",
    n_random_draws: int = 100,
    baseline_max_rows: int | None = 1000,
    seed: int = 0,
    n_jobs: int | None = None,
    selection_hook=None,
    paper_orders=None,
    **kwargs,
) -> pd.DataFrame:
    """Leave-one-configuration-out linear regression of the propensity (paper Fig. 7).

    For every configuration c: fit a ``StandardScaler`` on the other configurations, select
    features on them with each method, fit OLS on the first d features, predict c, and
    record |Pearson(prediction, truth)| for d = 1..max_d. Information-imbalance selection
    computes imbalances within configurations (``groups=`` their ids, as in the paper) on
    features z-scored within each configuration (as Figs. 5-6), so every fold reuses the
    per-configuration imbalances of the others (:func:`skii.leave_one_group_out_paths`).

    Parameters
    ----------
    table : DataFrame
        Study table (see :func:`as_study_table`); at least 2 configurations.
    max_d : int
        Largest number of features (capped at the number of features).
    methods : sequence of str
        Any of :data:`REGRESSION_METHODS`.
    n_random_draws : int
        Random orderings averaged for the ``random`` method (>= 1).
    baseline_max_rows : int or None
        Training rows (seeded subsample) used by the ``sfs`` and ``mutual_info`` baselines.
    seed : int
        Seeds the random orderings, the subsample and mutual information.
    selection_hook : callable, optional
        Called as ``hook(test_configuration, training_row_indices)`` before any selection
        in a fold (for auditing; the tests use it to prove there is no leakage).
    paper_orders : mapping, optional
        {configuration: feature indices in supervised greedy order within that
        configuration} for ``ii_supervised_paper`` (e.g. from :func:`greedy_paths`);
        computed in the fold when missing or shorter than ``max_d``.

    Notes
    -----
    ``ii_supervised`` selects on the training configurations only (held-out protocol);
    ``ii_supervised_paper`` follows the paper's code: the supervised path of the held-out
    configuration itself, so its propensity informs the choice of features and only the
    OLS weights are fitted without it.

    Returns
    -------
    DataFrame
        Columns ``method``, ``test_configuration``, ``d``, ``abs_pearson``, ``features``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a_L1.0", "a_L2.0", "c"])
    >>> t["propensity"] = t["a_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> reg = loco_regression(t, max_d=2, methods=["ii_supervised", "lasso"])
    >>> reg.shape
    (12, 5)
    >>> reg.loc[reg["d"] == 1, "features"].unique().tolist()
    ['a_L2.0']
    >>> bool((reg["abs_pearson"] > 0.9).all())
    True
    """
    st = as_study_table(table, **kwargs)
    unknown = set(methods) - set(REGRESSION_METHODS)
    if unknown:
        raise ValueError(f"unknown regression methods {sorted(unknown)}; use {REGRESSION_METHODS}")
    if len(st.configurations) < 2:
        raise ValueError("leave-one-configuration-out regression needs at least 2 configurations")
    if n_random_draws < 1:
        raise ValueError("n_random_draws must be at least 1")
    max_d = min(int(max_d), st.n_features)
    ii_orders = _ii_orders(st, methods, max_d, n_neighbors, ties, seed, n_jobs)
    nt = _threads_per_worker(n_jobs)
    jobs = (
        delayed(call_with_threads)(
            nt,
            _loco_fold,
            st.X,
            st.y,
            st.groups,
            st.feature_names,
            c,
            methods=tuple(methods),
            max_d=max_d,
            n_neighbors=n_neighbors,
            ties=ties,
            n_random_draws=n_random_draws,
            baseline_max_rows=baseline_max_rows,
            seed=seed,
            selection_hook=selection_hook,
            ii_orders={m: o[c] for m, o in ii_orders.items()},
            paper_order=None if paper_orders is None else paper_orders.get(c),
        )
        for c in st.configurations
    )
    rows = [r for part in Parallel(n_jobs=n_jobs)(jobs) for r in part]
    return pd.DataFrame(
        rows, columns=["method", "test_configuration", "d", "abs_pearson", "features"]
    )


def summarize_regression(per_fold: pd.DataFrame) -> pd.DataFrame:
    """Mean and standard deviation of |r| over held-out configurations, per method and d.

    Parameters
    ----------
    per_fold : DataFrame
        Output of :func:`loco_regression`.

    Returns
    -------
    DataFrame
        Columns ``method``, ``d``, ``mean``, ``std``; methods in the order of
        :data:`REGRESSION_METHODS`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a_L1.0", "a_L2.0", "c"])
    >>> t["propensity"] = t["a_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> reg = loco_regression(t, max_d=2, methods=["lasso", "ii_supervised"])
    >>> s = summarize_regression(reg)
    >>> s[["method", "d"]].values.tolist()
    [['ii_supervised', 1], ['ii_supervised', 2], ['lasso', 1], ['lasso', 2]]
    >>> s["mean"].round(3).tolist()
    [0.939, 0.941, 0.939, 0.941]
    """
    g = per_fold.groupby(["method", "d"])["abs_pearson"]
    out = pd.DataFrame({"mean": g.mean(), "std": g.std(ddof=1).fillna(0.0)}).reset_index()
    order = {m: i for i, m in enumerate(REGRESSION_METHODS)}
    out["_o"] = out["method"].map(order)
    return out.sort_values(["_o", "d"]).drop(columns="_o").reset_index(drop=True)


# ----------------------------------------------------------------------------- all


@dataclass
class StudyResults:
    """Every table of the study (per configuration and averaged), from :func:`run_study`.

    Attributes
    ----------
    pearson, pearson_summary : DataFrame
        :func:`pearson_per_configuration` and :func:`summarize_pearson` (Fig. 4a).
    imbalances, imbalances_summary : DataFrame
        :func:`single_feature_imbalances` and its summary (Figs. 4b-d).
    supervised_paths, supervised_summary : DataFrame
        Supervised :func:`greedy_paths` and :func:`summarize_paths` (Fig. 5).
    unsupervised_paths, unsupervised_summary : DataFrame
        The same, unsupervised (Fig. 6).
    regression, regression_summary : DataFrame
        :func:`loco_regression` and :func:`summarize_regression` (Fig. 7).
    settings : dict
        The arguments of the run.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a_L1.0", "a_L2.0", "c"])
    >>> t["propensity"] = t["a_L2.0"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> res = run_study(t, n_path_features=2, max_d=2, methods=["ii_supervised", "lasso"])
    >>> sorted(res.tables())[:2]
    ['fig4a_pearson', 'fig4a_pearson_per_configuration']
    >>> {m: [round(v, 3) for v in c] for m, c in res.regression_curves().items()}
    {'ii_supervised': [0.939, 0.941], 'lasso': [0.939, 0.941]}
    """

    pearson: pd.DataFrame
    pearson_summary: pd.DataFrame
    imbalances: pd.DataFrame
    imbalances_summary: pd.DataFrame
    supervised_paths: pd.DataFrame
    supervised_summary: pd.DataFrame
    unsupervised_paths: pd.DataFrame
    unsupervised_summary: pd.DataFrame
    regression: pd.DataFrame
    regression_summary: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """{file stem: table}: every table, keyed by the figure it belongs to."""
        return {
            "fig4a_pearson_per_configuration": self.pearson,
            "fig4a_pearson": self.pearson_summary,
            "fig4bcd_imbalance_per_configuration": self.imbalances,
            "fig4bcd_imbalance": self.imbalances_summary,
            "fig5_supervised_paths": self.supervised_paths,
            "fig5_supervised_mean": self.supervised_summary,
            "fig6_unsupervised_paths": self.unsupervised_paths,
            "fig6_unsupervised_mean": self.unsupervised_summary,
            "fig7_regression_per_fold": self.regression,
            "fig7_regression": self.regression_summary,
        }

    def regression_curves(self) -> dict[str, list[float]]:
        """{method: [mean |r| for d = 1..max_d]}."""
        s = self.regression_summary
        return {
            m: [float(v) for v in s.loc[s["method"] == m].sort_values("d")["mean"]]
            for m in pd.unique(s["method"])
        }


def run_study(
    table: pd.DataFrame,
    *,
    n_path_features: int = 15,
    max_d: int = 15,
    methods: Sequence[str] = REGRESSION_METHODS,
    n_neighbors: int = 1,
    n_random_draws: int = 100,
    baseline_max_rows: int | None = 1000,
    seed: int = 0,
    n_jobs: int | None = None,
    progress=None,
    selection_protocol: str = "held-out",
    **kwargs,
) -> StudyResults:
    """Run every analysis of the paper's Figs. 4-7 on a study table.

    ``progress``, if given, is called with a short stage name before each analysis (the
    CLI uses it to advance a progress bar). ``selection_protocol`` ("held-out" or "paper")
    names the supervised-II curve of Fig. 7 that the summaries treat as the headline
    (``ii_supervised`` or ``ii_supervised_paper``, see :func:`loco_regression`); both are
    computed when listed in ``methods``. Other keyword arguments go to
    :func:`as_study_table`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    >>> t["propensity"] = t["b"] + 0.3 * rng.normal(size=60)
    >>> t["configuration"] = np.repeat([0, 1, 2], 20)
    >>> res = run_study(t, n_path_features=2, max_d=2, n_random_draws=5)
    >>> res.pearson_summary.loc[res.pearson_summary["abs_mean_r"].idxmax(), "feature"]
    'b'
    >>> res.supervised_summary["most_common_feature"].iloc[0]
    'b'
    >>> sorted(res.regression_curves())[:3]
    ['ii_supervised', 'ii_supervised_paper', 'ii_unsupervised']
    """
    if selection_protocol not in SELECTION_PROTOCOLS:
        raise ValueError(f"selection_protocol must be one of {SELECTION_PROTOCOLS}, "
                         f"got {selection_protocol!r}")

    def step(name):
        if progress is not None:
            progress(name)

    step("pearson")
    pearson = pearson_per_configuration(table, **kwargs)
    step("single-feature imbalances")
    imb = single_feature_imbalances(table, n_neighbors=n_neighbors, n_jobs=n_jobs, **kwargs)
    step("supervised paths")
    sup = greedy_paths(table, mode="supervised", n_features=n_path_features,
                       n_neighbors=n_neighbors, random_state=seed, n_jobs=n_jobs, **kwargs)
    step("unsupervised paths")
    uns = greedy_paths(table, mode="unsupervised", n_features=n_path_features,
                       n_neighbors=n_neighbors, random_state=seed, n_jobs=n_jobs, **kwargs)
    step("regression")
    # The paper protocol reuses each configuration's own Fig. 5 path.
    paper_orders = {
        c: [int(f) for f in g.sort_values("n_features")["feature"]]
        for c, g in sup.groupby("configuration", sort=False)
    }
    reg = loco_regression(table, max_d=max_d, methods=methods, n_neighbors=n_neighbors,
                          n_random_draws=n_random_draws, baseline_max_rows=baseline_max_rows,
                          seed=seed, n_jobs=n_jobs, paper_orders=paper_orders, **kwargs)
    return StudyResults(
        pearson=pearson,
        pearson_summary=summarize_pearson(pearson),
        imbalances=imb,
        imbalances_summary=summarize_single_feature_imbalances(imb),
        supervised_paths=sup,
        supervised_summary=summarize_paths(sup),
        unsupervised_paths=uns,
        unsupervised_summary=summarize_paths(uns),
        regression=reg,
        regression_summary=summarize_regression(reg),
        settings={
            "n_path_features": n_path_features,
            "max_d": max_d,
            "n_neighbors": n_neighbors,
            "n_random_draws": n_random_draws,
            "baseline_max_rows": baseline_max_rows,
            "seed": seed,
            "methods": list(methods),
            "selection_protocol": selection_protocol,
        },
    )
