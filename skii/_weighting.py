"""InformationImbalanceWeighting: feature weights learned by differentiable imbalance."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from . import (
    _numba_setup,  # noqa: F401  (thread-safe threading layer before compiling)
    _weighting_kernels,
)
from ._imbalance import _as_2d, _check_periods, _group_indices, information_imbalance
from ._parallel import call_with_threads

__all__ = ["InformationImbalanceWeighting", "differentiable_imbalance"]


def _n_chunks(n_rows: int) -> int:
    import numba

    return max(1, min(n_rows, 4 * numba.get_num_threads()))


def _batch_ranks(target: np.ndarray, periods=None) -> np.ndarray:
    bt = np.ascontiguousarray(target.T)
    n = bt.shape[1]
    out = np.empty((n, n))
    # No periods argument at all when not periodic: the plain kernel, compiled once.
    _weighting_kernels.target_ranks(bt, _n_chunks(n), out, *(() if periods is None else
                                                             (periods,)))
    return out


def _batch_loss_grad(X, w, ranks, k, lambda_factor, with_grad=True, periods=None):
    """DII of one batch (rows of X, ranks of its target) and its gradient in w."""
    xt = np.ascontiguousarray(X.T)
    n = xt.shape[1]
    chunks = _n_chunks(n)
    rows = np.empty(n)
    grad = np.zeros((n, xt.shape[0]) if with_grad else (1, xt.shape[0]))
    _weighting_kernels.dii_loss_grad(
        xt,
        np.ascontiguousarray(w, dtype=np.float64),
        ranks,
        k,
        lambda_factor,
        with_grad,
        chunks,
        rows,
        grad,
        *(() if periods is None else (periods,)),
    )
    scale = 2.0 / (n * n)
    return scale * float(rows.sum()), scale * grad.sum(axis=0)


def differentiable_imbalance(
    X,
    y,
    weights=None,
    *,
    lambda_factor: float = 0.1,
    n_neighbors: int = 1,
    return_gradient: bool = False,
    periods=None,
    target_periods=None,
):
    """Differentiable information imbalance DII(w * X -> y) and, optionally, its gradient.

    ``DII = 2 / N^2 * sum_i sum_{j != i} c_ij r_ij`` (Wild et al., Nat. Commun. 2025), where
    ``r_ij`` is the rank of j among the neighbours of i in y (1 for the nearest; tied
    distances share their average rank), ``c_ij = softmax_{j != i}(-d_ij / lambda_i)``,
    ``d_ij = sum_f (w_f (x_if - x_jf))**2`` and ``lambda_i = lambda_factor`` times the
    squared weighted distance from i to its ``n_neighbors``-th neighbour. As lambda -> 0 it
    tends to the information imbalance with one neighbour.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_targets)
        Target space B (Euclidean distances).
    weights : array-like of shape (n_features,), default=None
        Feature weights (ones when None).
    lambda_factor : float, default=0.1
    n_neighbors : int, default=1
        Neighbour order that sets lambda_i.
    return_gradient : bool, default=False
        Also return the gradient with respect to ``weights`` (lambda_i differentiated).
    periods, target_periods : array-like or float, default=None
        Periods of the columns of X and of y (None, NaN or 0: not periodic), as in
        :func:`skii.information_imbalance`: minimum-image differences, chosen on the
        unweighted difference, so ``d_ij = sum_f w_f^2 u_ijf^2``.

    Returns
    -------
    float, or (float, ndarray of shape (n_features,)) with ``return_gradient``

    Examples
    --------
    >>> import numpy as np
    >>> from skii import differentiable_imbalance
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> good = differentiable_imbalance(X, X[:, 0], [1.0, 0.0])
    >>> bad = differentiable_imbalance(X, X[:, 0], [0.0, 1.0])
    >>> bool(good < 0.1 < 0.9 < bad)
    True
    """
    X = _as_2d(X, "X")
    target = _as_2d(y, "y")
    n, p = X.shape
    if target.shape[0] != n:
        raise ValueError(f"X and y have different numbers of rows: {n} and {target.shape[0]}")
    k = _check_k(n_neighbors, n)
    if not (isinstance(lambda_factor, Real) and lambda_factor > 0):
        raise ValueError(f"lambda_factor must be positive, got {lambda_factor!r}")
    w = np.ones(p) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (p,) or not np.all(np.isfinite(w)):
        raise ValueError(f"weights must be {p} finite numbers, got shape {w.shape}")
    pp = _check_periods(periods, [X.T], "periods", "X")
    tp = _check_periods(target_periods, [target.T], "target_periods", "y")
    value, grad = _batch_loss_grad(
        X, w, _batch_ranks(target, tp), k, float(lambda_factor), return_gradient, pp
    )
    return (value, grad) if return_gradient else value


def _check_k(n_neighbors, n_rows: int) -> int:
    if isinstance(n_neighbors, bool) or not isinstance(n_neighbors, Integral) or n_neighbors < 1:
        raise ValueError(f"n_neighbors must be a positive integer, got {n_neighbors!r}")
    if n_neighbors >= n_rows:
        raise ValueError(
            f"n_neighbors={n_neighbors} needs more than {n_neighbors} rows per batch; "
            f"a batch has {n_rows}"
        )
    return int(n_neighbors)


class InformationImbalanceWeighting(TransformerMixin, BaseEstimator):
    """Learn one non-negative weight per feature by differentiable information imbalance.

    Minimises the differentiable information imbalance DII(w * X -> target) (Wild et al.,
    "Automatic feature selection and weighting using differentiable information
    imbalance", Nat. Commun. 2025) by gradient descent on the weights w: the weighted
    distance space whose neighbourhoods best predict those of the target. Supervised, the
    target is y; unsupervised, the full X (so weights compress X while keeping its
    neighbourhoods). ``transform`` returns ``X * weights_``. Distances are Euclidean on X
    as given: standardise columns with different units first.

    The DII is ``2 / N^2 * sum_i sum_{j != i} c_ij r_ij``: ``r_ij`` the rank of j among the
    target neighbours of i (tied target distances share their average rank),
    ``c_ij = softmax_{j != i}(-d_ij / lambda_i)`` over squared weighted distances
    ``d_ij = sum_f (w_f (x_if - x_jf))^2``, and ``lambda_i = lambda_factor`` times the
    squared weighted distance from i to its ``n_neighbors``-th neighbour. The DII does not
    change when all weights are multiplied by a constant, so after every step the weight
    vector is rescaled to unit Euclidean norm (as DADApy's ``DiffImbalance`` rescales to its
    initial norm).

    Parameters
    ----------
    mode : {"supervised", "unsupervised"}, default="supervised"
    lambda_factor : float, default=0.1
        Scale of the smoothing lambda_i relative to the k-th neighbour distance; smaller
        values approach the (non-differentiable) information imbalance.
    n_neighbors : int, default=1
        Neighbour order k that sets lambda_i (within each mini-batch).
    learning_rate : float, default=0.2
        Step of the (projected, proximal) gradient descent on the unit-norm weights.
    n_epochs : int, default=200
        Passes over the data; one step per mini-batch.
    l1 : float, default=0.0
        Strength of an L1 penalty applied as a proximal step after every gradient step
        (``w <- max(w - learning_rate * l1, 0)``), so weights reach exactly zero.
    batch_size : int, default=None
        Rows per mini-batch (ranks and c_ij within the batch: memory O(batch_size^2));
        None uses all rows (of each group) in every step, with memory O(n_samples^2)
        for the target ranks.
    random_state : int, RandomState instance or None, default=None
        Shuffles the rows into mini-batches at every epoch.
    n_jobs : int, default=None
        numba threads for the kernels (parallel over rows); None uses all.
    verbose : int, default=0
        Show a tqdm progress bar over epochs when > 0.
    periods : array-like of shape (n_features,) or float, default=None
        One period per column of X for periodic features (None, NaN or 0: not periodic):
        minimum-image differences, as in :func:`skii.information_imbalance`. In
        unsupervised mode they are also the periods of the target (X itself).
        ``transform`` returns ``X * weights_``, whose periodic columns then have the
        periods ``periods * weights_``.
    target_periods : array-like of shape (n_targets,) or float, default=None
        Periods of the columns of y (supervised mode only).

    Attributes
    ----------
    weights_ : ndarray of shape (n_features_in_,)
        Learned non-negative weights, unit Euclidean norm.
    dii_ : float
        Differentiable imbalance at ``weights_`` over all rows (of each group, averaged);
        with ``batch_size``, the mean over consecutive batches of that size.
    imbalance_ : float
        Exact information imbalance Delta(X * weights_ -> target) with one neighbour.
    history_ : pandas.DataFrame
        One row per epoch (0 = initial weights): ``epoch``, ``dii`` (mean over the
        epoch's steps of the DII of the batches before each step; at epoch 0 the DII of the
        initial weights, evaluated as ``dii_``) and one ``weight_<feature name>`` column
        per feature.
    support_ : ndarray of shape (n_features_in_,), dtype=bool
        Features with a non-zero weight.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Defined when X has string column names.

    Notes
    -----
    Constant features (within every group) carry no distance information; their weight is
    set to zero. The gradient includes the dependence of lambda_i on the weights. Ties in
    weighted distances are harmless (the c_ij are smooth); a zero lambda_i (duplicate
    points) uses the limit lambda -> 0, a uniform c_ij over the nearest points.

    Examples
    --------
    >>> import numpy as np
    >>> from skii import InformationImbalanceWeighting
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(300, 4))
    >>> y = X[:, 0] + 3 * X[:, 1]
    >>> weighting = InformationImbalanceWeighting(random_state=0).fit(X, y)
    >>> w = weighting.weights_
    >>> bool(2 < w[1] / w[0] < 4 and w[2:].max() < 0.15 * w[1])
    True
    >>> weighting.transform(X).shape
    (300, 4)
    """

    _parameter_constraints: dict = {
        "mode": [StrOptions({"supervised", "unsupervised"})],
        "lambda_factor": [Interval(Real, 0, None, closed="neither")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "n_epochs": [Interval(Integral, 0, None, closed="left")],
        "l1": [Interval(Real, 0, None, closed="left")],
        "batch_size": [None, Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
        "n_jobs": [None, Integral],
        "verbose": ["verbose"],
        "periods": ["array-like", Real, None],
        "target_periods": ["array-like", Real, None],
    }

    def __init__(
        self,
        *,
        mode="supervised",
        lambda_factor=0.1,
        n_neighbors=1,
        learning_rate=0.2,
        n_epochs=200,
        l1=0.0,
        batch_size=None,
        random_state=None,
        n_jobs=None,
        verbose=0,
        periods=None,
        target_periods=None,
    ):
        self.mode = mode
        self.lambda_factor = lambda_factor
        self.n_neighbors = n_neighbors
        self.learning_rate = learning_rate
        self.n_epochs = n_epochs
        self.l1 = l1
        self.batch_size = batch_size
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.periods = periods
        self.target_periods = target_periods

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = self.mode == "supervised"
        tags.input_tags.allow_nan = False
        return tags

    def _threads(self):
        if self.n_jobs is None:
            return None
        import os

        cores = os.cpu_count() or 1
        return max(1, self.n_jobs if self.n_jobs > 0 else cores + 1 + self.n_jobs)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, groups=None):
        """Learn the weights.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_targets), default=None
            Target; required when ``mode="supervised"``, ignored otherwise.
        groups : array-like of shape (n_samples,), default=None
            Group labels: distances, ranks and batches stay within a group and every group
            counts equally.

        Returns
        -------
        self
        """
        if self.mode == "supervised":
            if y is None:
                raise ValueError(
                    f"{type(self).__name__} with mode='supervised' requires y to be passed, "
                    "but the target y is None; use mode='unsupervised' to weight features "
                    "without a target"
                )
            X, y = validate_data(
                self, X, y, ensure_min_samples=2, multi_output=True, y_numeric=True
            )
            target = _as_2d(y, "y")
        else:
            X = validate_data(self, X, ensure_min_samples=2)
            target = X
        X = _as_2d(X, "X")
        return call_with_threads(self._threads(), self._fit, X, target, groups)

    def _fit(self, X, target, groups):
        n, p = X.shape
        k = int(self.n_neighbors)
        parts = _group_indices(groups, n, k)
        if self.batch_size is not None and self.batch_size <= k:
            raise ValueError(f"batch_size={self.batch_size} must exceed n_neighbors={k}")
        const = np.ones(p, dtype=bool)
        for part in parts:
            const &= np.all(X[part] == X[part][0], axis=0)
        if const.all():
            raise ValueError("every feature of X is constant: there is nothing to weight")
        w = np.where(const, 0.0, 1.0)
        w /= np.linalg.norm(w)
        rng = check_random_state(self.random_state)
        lf, lr, l1 = float(self.lambda_factor), float(self.learning_rate), float(self.l1)
        pp = _check_periods(self.periods, [X.T], "periods", "X")
        if self.mode == "supervised":
            tp = _check_periods(self.target_periods, [target.T], "target_periods", "y")
        else:
            tp = pp  # the target is X itself

        def split(part, shuffle):
            rows = part[rng.permutation(part.size)] if shuffle else part
            n_b = max(1, math.ceil(part.size / self.batch_size))
            # nearly equal batches, none smaller than n_neighbors + 1 rows
            return np.array_split(rows, min(n_b, part.size // (k + 1)))

        if self.batch_size is None:
            # One step per epoch on the mean gradient over groups; ranks computed once.
            full = [(X[part], _batch_ranks(target[part], tp)) for part in parts]

            def epoch_batches():
                return [full]

            def evaluate(weights):
                return loss_grad(full, weights, False)[0]
        else:

            def epoch_batches():
                batches = [b for part in parts for b in split(part, True)]
                for i in rng.permutation(len(batches)):
                    yield [(X[batches[i]], _batch_ranks(target[batches[i]], tp))]

            def evaluate(weights):
                # Mean DII over consecutive batches: memory stays O(batch_size^2).
                values = [
                    _batch_loss_grad(
                        X[b], weights, _batch_ranks(target[b], tp), k, lf, False, pp
                    )[0]
                    for part in parts
                    for b in split(part, False)
                ]
                return float(np.mean(values))

        def loss_grad(step_batches, weights, with_grad=True):
            values, grads = zip(  # noqa: B905  (pairs from one generator)
                *(_batch_loss_grad(xb, weights, rb, k, lf, with_grad, pp)
                  for xb, rb in step_batches)
            )
            return float(np.mean(values)), np.mean(grads, axis=0)

        names = getattr(self, "feature_names_in_", None)
        names = [f"x{j}" for j in range(p)] if names is None else [str(c) for c in names]
        history = [[0, evaluate(w), *w]]
        progress = _progress(self.n_epochs, self.verbose)
        for epoch in range(1, self.n_epochs + 1):
            losses = []
            for step_batches in epoch_batches():
                value, grad = loss_grad(step_batches, w)
                losses.append(value)
                # The DII depends on w only through w**2: |w| after the step is the same
                # iterate as the sign-free one, and keeps the weights non-negative.
                w = _unit(np.abs(w - lr * grad), self)
                if l1 > 0:
                    # Proximal step of the L1 penalty on the unit-norm weights (as DADApy).
                    w = _unit(np.maximum(w - lr * l1, 0.0), self)
            history.append([epoch, float(np.mean(losses)), *w])
            progress.update()
        progress.close()

        self.weights_ = w
        self.support_ = w > 0
        self.dii_ = evaluate(w)
        # X * w has the periods P * w (a zero weight: a column of zeros, not periodic).
        self.imbalance_ = information_imbalance(
            X * w, target, groups=groups, periods=None if pp is None else pp * w,
            target_periods=tp,
        )
        self.history_ = pd.DataFrame(
            history, columns=["epoch", "dii", *[f"weight_{c}" for c in names]]
        )
        return self

    def transform(self, X):
        """Scale every feature by its weight.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
            ``X * weights_`` (a DataFrame with the input's column names under
            ``set_output(transform="pandas")``).
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return X * self.weights_

    def get_support(self, indices: bool = False):
        """Mask (or indices) of the features with a non-zero weight.

        Parameters
        ----------
        indices : bool, default=False

        Returns
        -------
        ndarray
        """
        check_is_fitted(self)
        return np.flatnonzero(self.support_) if indices else self.support_.copy()

    def get_feature_names_out(self, input_features=None):
        """Output feature names: the input names (every feature is kept, scaled).

        Parameters
        ----------
        input_features : array-like of str, default=None

        Returns
        -------
        ndarray of str
        """
        from sklearn.utils.validation import _check_feature_names_in

        check_is_fitted(self)
        return _check_feature_names_in(self, input_features)


def _unit(w: np.ndarray, est) -> np.ndarray:
    norm = np.linalg.norm(w)
    if norm == 0:
        raise ValueError(
            f"all weights reached zero (l1={est.l1} is too strong for "
            f"learning_rate={est.learning_rate}); lower l1"
        )
    return w / norm


class _NoProgress:
    def update(self, n=1):
        pass

    def close(self):
        pass


def _progress(total: int, verbose: int):
    if not verbose:
        return _NoProgress()
    try:
        from tqdm.auto import tqdm
    except ImportError:  # progress bars are an optional extra
        return _NoProgress()
    return tqdm(total=total, desc="DII weighting", unit="epoch")
