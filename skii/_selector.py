"""InformationImbalanceSelector: greedy forward feature selection by information imbalance."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import HasMethods, Interval, RealNotInt, StrOptions
from sklearn.utils.validation import check_is_fitted, check_memory, validate_data

from ._imbalance import _non_numeric_column, imbalance_path
from ._search import truncate_backward
from ._version import __version__

__all__ = ["InformationImbalanceSelector"]


def _compute_path(
    X, y, groups, mode, n_neighbors, ties, seed, length, tol, n_jobs, verbose, version,
    beam_width=1, direction="forward", periods=None, target_periods=None,
):
    """Module-level so joblib.Memory can cache it (``version`` is part of the key)."""
    del version
    return imbalance_path(
        X,
        y,
        mode=mode,
        n_features_to_select=length,
        tol=tol,
        beam_width=beam_width,
        direction=direction,
        n_neighbors=n_neighbors,
        groups=groups,
        ties=ties,
        random_state=seed,
        n_jobs=n_jobs,
        verbose=verbose,
        periods=periods,
        target_periods=target_periods,
    )


class InformationImbalanceSelector(SelectorMixin, BaseEstimator):
    """Select features by information imbalance: greedy forward, beam or backward search.

    Supervised (default): at each step add the feature whose addition makes the selected
    set's neighbourhoods best predict those of the target, i.e. minimise
    ``Delta(X_S -> y)`` (Glielmo et al. 2022; Sharma, Liu & Ozawa 2024). Unsupervised: find
    the subset that best preserves the neighbourhoods of the full feature set, minimising
    ``(Delta(X_S -> X) + Delta(X -> X_S)) / sqrt(2)``. Distances are Euclidean on X **as
    given**: the selector never rescales, so put a ``StandardScaler`` in front of it when
    the columns have different units. ``beam_width`` and ``direction`` widen the search
    beyond the greedy forward path (see :func:`skii.imbalance_path`).

    Parameters
    ----------
    n_features_to_select : "auto", int or float, default="auto"
        Number of features to select. An int is an absolute number, a float in (0, 1] a
        fraction of the features. ``"auto"``: with ``tol=None`` half of the features (as
        :class:`~sklearn.feature_selection.SequentialFeatureSelector`); with ``tol``, stop
        when adding a feature lowers the objective by less than ``tol``.
    mode : {"supervised", "unsupervised"}, default="supervised"
        A Pipeline always passes y, so the mode is explicit and never inferred from y. In
        unsupervised mode y is ignored.
    n_neighbors : int, default=1
        Nearest neighbours k used in the imbalance.
    tol : float, default=None
        Minimum decrease of the objective to keep adding features (only with "auto");
        backward: removal stops once it would raise the objective by ``tol`` or more.
    beam_width : int, default=1
        Best subsets of each size kept by the search: 1 is greedy; ``b > 1`` keeps the
        best ``b`` subsets of each size (a beam search, DADApy's ``n_best``), which can
        find features that only predict the target together. The best subsets of
        successive sizes need not be nested.
    direction : {"forward", "backward"}, default="forward"
        ``"backward"``: start from all features and remove, one at a time, the feature
        whose removal raises the objective least (as
        :class:`~sklearn.feature_selection.SequentialFeatureSelector`).
    ties : {"average", "random"}, default="average"
        Tie handling for equal distances (integer features, discrete targets): the exact
        expectation under uniform random tie-breaking, or random breaking from
        ``random_state``. See :func:`skii.information_imbalance`.
    memory : str or joblib.Memory, default=None
        Cache the greedy path. With a cache the path is computed once to ``max_features``
        (default: all features) and every fit truncates it, so a ``GridSearchCV`` over
        ``n_features_to_select`` computes it once per fold. The key contains X, y, groups,
        mode, n_neighbors, ties, random_state, beam_width, direction, the periods and the
        package version. A cached backward path always runs down to one feature (its
        cheapest steps).
    max_features : int, default=None
        Length of the cached path (only with ``memory``, forward only); must cover every
        ``n_features_to_select`` you fit with.
    n_jobs : int, default=None
        joblib workers over groups (``joblib.parallel_config(backend="dask")`` scales out
        to a cluster). numba kernels always use the available cores, split as
        ``cores // workers`` threads per worker so the two never oversubscribe.
    random_state : int, RandomState instance or None, default=None
        Used with ``ties="random"``.
    verbose : int, default=0
        Show a tqdm progress bar over the greedy steps when > 0.
    periods : array-like of shape (n_features,) or float, default=None
        One period per column of X for periodic features (angles, dihedrals, phases;
        None, NaN or 0: not periodic): minimum-image differences, as in
        :func:`skii.information_imbalance`. In unsupervised mode they are also the periods
        of the target space (X itself). Periodic data use the brute-force kernel.
    target_periods : array-like of shape (n_targets,) or float, default=None
        Periods of the columns of y (supervised mode only).

    Attributes
    ----------
    n_features_to_select_ : int
        Number of features selected.
    support_ : ndarray of shape (n_features_in_,), dtype=bool
        Mask of selected features.
    selection_order_ : ndarray of shape (n_features_to_select_,)
        Feature indices in the order they were added (with a beam: along the selected
        subset's own lineage; backward, where no feature is added: increasing).
    imbalance_path_ : pandas.DataFrame
        One row per step: ``n_features``, ``feature``, ``feature_name``, the two
        imbalances and ``objective`` (see :func:`skii.imbalance_path`). Supervised:
        ``delta_subset_to_target`` and ``delta_target_to_subset`` (target = y);
        unsupervised: ``delta_subset_to_full`` and ``delta_full_to_subset`` (target = the
        full X), then their standard errors, ``<column>_std``. With ``beam_width > 1``
        or ``direction="backward"``: one row per size visited (backward: from all
        features down), each with the best subset of that size in a ``subset`` column (a
        tuple of column indices); the last row is the selected subset.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.

    Notes
    -----
    ``groups`` computes the imbalance within each group (e.g. one simulation snapshot)
    and averages over groups. To pass it through a Pipeline or a search, enable metadata
    routing: ``sklearn.set_config(enable_metadata_routing=True)`` and
    ``selector.set_fit_request(groups=True)``. Without routing, ``GridSearchCV.fit(...,
    groups=g)`` gives ``groups`` to the splitter only and the selector treats all rows as
    one group; a Pipeline rejects ``groups`` it cannot route.

    Constant features are never candidates: they are appended after all others with a
    :class:`skii.ConstantFeatureWarning`.

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skii import InformationImbalanceSelector
    >>> X, y = make_friedman1(n_samples=500, n_features=10, random_state=0)
    >>> selector = InformationImbalanceSelector(n_features_to_select=5)
    >>> sorted(selector.fit(X, y).selection_order_.tolist())
    [0, 1, 2, 3, 4]
    >>> model = make_pipeline(StandardScaler(), selector, LinearRegression()).fit(X, y)
    >>> round(model.score(X, y), 2)
    0.76

    A target that needs two features together (x0 * x1) beside a weaker linear one (x2):
    greedy takes x2 first, a beam keeping two subsets of each size finds the pair.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(-1, 1, size=(400, 4))
    >>> y = X[:, 0] * X[:, 1] + 0.4 * X[:, 2]
    >>> InformationImbalanceSelector(2).fit(X, y).selection_order_.tolist()
    [2, 1]
    >>> InformationImbalanceSelector(2, beam_width=2).fit(X, y).selection_order_.tolist()
    [1, 0]
    >>> InformationImbalanceSelector(2, direction="backward").fit(X, y).get_support()
    array([ True,  True, False, False])
    """

    _parameter_constraints: dict = {
        "n_features_to_select": [
            StrOptions({"auto"}),
            Interval(RealNotInt, 0, 1, closed="right"),
            Interval(Integral, 1, None, closed="left"),
        ],
        "mode": [StrOptions({"supervised", "unsupervised"})],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "tol": [None, Interval(Real, 0, None, closed="neither")],
        "beam_width": [Interval(Integral, 1, None, closed="left")],
        "direction": [StrOptions({"forward", "backward"})],
        "ties": [StrOptions({"average", "random"})],
        "memory": [None, str, HasMethods(["cache"])],
        "max_features": [None, Interval(Integral, 1, None, closed="left")],
        "n_jobs": [None, Integral],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "periods": ["array-like", Real, None],
        "target_periods": ["array-like", Real, None],
    }

    def __init__(
        self,
        n_features_to_select="auto",
        *,
        mode="supervised",
        n_neighbors=1,
        tol=None,
        beam_width=1,
        direction="forward",
        ties="average",
        memory=None,
        max_features=None,
        n_jobs=None,
        random_state=None,
        verbose=0,
        periods=None,
        target_periods=None,
    ):
        self.n_features_to_select = n_features_to_select
        self.mode = mode
        self.n_neighbors = n_neighbors
        self.tol = tol
        self.beam_width = beam_width
        self.direction = direction
        self.ties = ties
        self.memory = memory
        self.max_features = max_features
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.verbose = verbose
        self.periods = periods
        self.target_periods = target_periods

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.mode == "supervised"
        tags.input_tags.allow_nan = False
        return tags

    def _target_count(self, n_features: int) -> int | None:
        """Requested number of features; None means "stop by tol"."""
        n = self.n_features_to_select
        if n == "auto":
            return None if self.tol is not None else max(1, n_features // 2)
        if isinstance(n, Integral):
            if n > n_features:
                raise ValueError(
                    f"n_features_to_select={n} must be at most the number of features "
                    f"(n_features={n_features})"
                )
            return int(n)
        return max(1, int(round(n * n_features)))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, groups=None):
        """Compute the greedy path and select features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
            Required when ``mode="supervised"``; ignored otherwise. A 2-D y is one
            multi-output target space (Euclidean distances over all its columns, so scale
            them comparably), not one selection per output.
        groups : array-like of shape (n_samples,), default=None
            Group label of every row (e.g. the configuration it comes from).

        Returns
        -------
        self
        """
        if self.tol is not None and self.n_features_to_select != "auto":
            raise ValueError("tol is only used with n_features_to_select='auto'")
        supervised = self.mode == "supervised"
        _check_numeric_frame(X)
        if supervised:
            if y is None:
                raise ValueError(
                    f"{type(self).__name__} with mode='supervised' requires y to be passed, "
                    "but the target y is None; use mode='unsupervised' to select features "
                    "without a target"
                )
            X, y = validate_data(
                self, X, y, ensure_min_samples=2, multi_output=True, y_numeric=True
            )
        else:
            X = validate_data(self, X, ensure_min_samples=2)
            y = None
        n_features = X.shape[1]
        wanted = self._target_count(n_features)
        if self.tol is not None and self.memory is None:
            length, tol = n_features, self.tol
        else:
            length, tol = wanted, None

        random_state = self.random_state
        if not (random_state is None or isinstance(random_state, Integral)):
            # A RandomState instance cannot key a cache: draw a seed from it.
            random_state = int(check_random_state(random_state).randint(2**31 - 1))

        backward = self.direction == "backward"
        if self.memory is not None:
            length = n_features if self.max_features is None else self.max_features
            if not backward and wanted is not None and wanted > length:
                raise ValueError(
                    f"max_features={self.max_features} is shorter than "
                    f"n_features_to_select={wanted}"
                )
            length = min(length, n_features)
            compute = check_memory(self.memory).cache(_compute_path, ignore=["n_jobs", "verbose"])
        else:
            compute = _compute_path
        if backward:
            # A backward path passes every size above the one it stops at: to stop by tol,
            # or to serve every size from the cache, run it down to one feature.
            length = 1 if wanted is None or self.memory is not None else wanted
        path = compute(
            X,
            y,
            groups,
            self.mode,
            self.n_neighbors,
            self.ties,
            random_state,
            length,
            tol,
            self.n_jobs,
            self.verbose,
            __version__,
            self.beam_width,
            self.direction,
            self.periods,
            self.target_periods,
        )
        if backward:
            if self.memory is not None:
                path = truncate_backward(path, wanted, self.tol)
            return self._set_searched(path, n_features)
        if self.tol is not None and self.memory is not None:
            path = _truncate_by_tol(path, self.tol)
        elif wanted is not None:
            path = path.iloc[:wanted]
        if self.beam_width != 1:
            return self._set_searched(path, n_features)
        path = path.reset_index(drop=True).copy()
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            path["feature_name"] = np.asarray(names, dtype=object)[path["feature"].to_numpy()]
        self.imbalance_path_ = path
        self.selection_order_ = path["feature"].to_numpy(dtype=np.intp)
        self.n_features_to_select_ = len(self.selection_order_)
        support = np.zeros(n_features, dtype=bool)
        support[self.selection_order_] = True
        self.support_ = support
        return self

    def _set_searched(self, path, n_features):
        """Fitted attributes from a beam or backward table: its last row is the subset."""
        path = path.reset_index(drop=True).copy()
        names = getattr(self, "feature_names_in_", None)
        if names is not None:
            path["feature_name"] = [
                None if pd.isna(f) else str(names[int(f)]) for f in path["feature"]
            ]
        self.imbalance_path_ = path
        self.selection_order_ = np.asarray(path["subset"].iloc[-1], dtype=np.intp)
        self.n_features_to_select_ = len(self.selection_order_)
        support = np.zeros(n_features, dtype=bool)
        support[self.selection_order_] = True
        self.support_ = support
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_


def _check_numeric_frame(X) -> None:
    """A DataFrame with a non-numeric column: say which column (sklearn names only a value)."""
    if hasattr(X, "columns") and hasattr(X, "dtypes"):
        if all(getattr(t, "kind", "O") in "biuf" for t in X.dtypes):
            return  # numeric: no copy needed to know
        try:
            np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"X must be numeric: {_non_numeric_column(X)}") from None


def _truncate_by_tol(path, tol):
    """Keep steps while the objective decreases by at least tol (first step always kept)."""
    obj = path["objective"].to_numpy()
    keep = 1
    while keep < len(obj) and obj[keep - 1] - obj[keep] >= tol:
        keep += 1
    return path.iloc[:keep]
