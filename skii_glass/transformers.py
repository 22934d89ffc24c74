"""scikit-learn transformers from particle configurations to descriptor matrices.

Input ``X`` is one :class:`~skii_glass.configuration.Configuration` or a list of them
(each with its own positions, species, box and mixture). Output: one row per particle,
configurations stacked in order, columns in the paper's order (``rho, phi, u, psi6,
theta, z``, each with ``L`` increasing) named ``f"{name}_L{L:.1f}"`` such as
``theta_L2.0``. ``set_output(transform="pandas")`` returns a DataFrame with those names.
Definitions, cutoffs and the minimum-image rule are in :mod:`skii_glass.descriptors`;
constant columns (``rho_L0.5`` at glass densities with ``density="count"``) are kept,
never NaN.

One transformer per descriptor family (:class:`DensityDescriptors` for rho and phi,
:class:`EnergyDescriptors`, :class:`BondOrderDescriptors` (psi6),
:class:`StericOrderDescriptors` (Tong-Tanaka theta), :class:`CoordinationDescriptors`)
and :class:`StructuralDescriptors` for all 60 columns (or any subset of families).

``fit`` only validates the parameters and the configurations and records
``lengths_``, ``feature_names_out_`` and ``groups_`` (the configuration id of every row,
0, 1, ...; :func:`configuration_groups` gives the same for any list). Descriptors are
computed in ``transform``.

Chaining with scaling, selection and regression
-----------------------------------------------
Compute the descriptors once, then split rows by configuration so that no configuration
is in both the training and the test set::

    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import GroupKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from skii import InformationImbalanceSelector

    desc = StructuralDescriptors().set_output(transform="pandas")
    X = desc.fit_transform(configs)          # (sum of N, 60) DataFrame
    groups = desc.groups_                    # configuration id per row
    y = np.concatenate(propensities)         # same row order as X
    model = make_pipeline(
        StandardScaler(),                    # the selector never rescales X itself
        InformationImbalanceSelector(n_features_to_select=5),
        LinearRegression(),
    )
    scores = cross_val_score(model, X, y, groups=groups,
                             cv=GroupKFold(n_splits=len(configs)))

To let the selector compute its imbalances within each configuration, route ``groups``
to it: ``sklearn.set_config(enable_metadata_routing=True)``, use
``InformationImbalanceSelector(...).set_fit_request(groups=True)`` in the pipeline, and
call ``cross_val_score(model, X, y, cv=GroupKFold(...), params={"groups": groups})``
(with routing on, ``groups`` goes through ``params`` only; it reaches both the splitter
and the selector). Checked against the lead's selector: on three jittered-lattice
configurations with ``y = theta_L2.0 + 0.3 rho_L1.5 + noise`` it selects both columns.

A transformer can also be the first step of such a pipeline (``fit(configs, y)``), but
GroupKFold needs indexable rows, so precompute ``X`` for cross-validation.
"""

from __future__ import annotations

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skii._parallel import call_with_threads, n_workers, threads_per_worker

from .configuration import Configuration
from .descriptors import (
    DEFAULT_DENSITY,
    DEFAULT_LENGTHS,
    DEFAULT_NEIGHBOR_CUTOFF,
    DESCRIPTORS,
    _check_density,
    _check_descriptors,
    _cutoff_matrix,
    check_lengths,
    descriptor_names,
    structural_descriptors,
)
from .inherent import inherent_structure
from .simulation import check_overlaps
from .structure import gr_minimum_cutoffs

__all__ = [
    "StructuralDescriptors",
    "DensityDescriptors",
    "EnergyDescriptors",
    "BondOrderDescriptors",
    "StericOrderDescriptors",
    "CoordinationDescriptors",
    "configuration_groups",
    "as_configuration_list",
]


def as_configuration_list(X) -> list[Configuration]:
    """``X`` as a non-empty list of configurations (one configuration is a list of one).

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.0, 0.0]], ["A"], box=2.0)
    >>> len(as_configuration_list(c)), len(as_configuration_list([c, c]))
    (1, 2)
    """
    if isinstance(X, Configuration):
        return [X]
    if isinstance(X, (list, tuple)) or (isinstance(X, np.ndarray) and X.dtype == object):
        configs = list(X)
        if not configs:
            raise ValueError("no configurations given (empty list)")
        for k, c in enumerate(configs):
            if not isinstance(c, Configuration):
                raise ValueError(
                    f"item {k} is a {type(c).__name__}, not a skii_glass.Configuration"
                )
        return configs
    raise ValueError(
        "X must be a skii_glass.Configuration or a list of them, got "
        f"{type(X).__name__}"
    )


def configuration_groups(X) -> np.ndarray:
    """Configuration id (0, 1, ...) of every descriptor row, for ``GroupKFold``.

    Examples
    --------
    >>> from skii_glass import Configuration
    >>> a = Configuration([[0.0, 0.0], [1.0, 1.0]], ["A", "B"], box=4.0)
    >>> b = Configuration([[0.0, 0.0]], ["C"], box=4.0)
    >>> configuration_groups([a, b, a]).tolist()
    [0, 0, 1, 2, 2]
    """
    configs = as_configuration_list(X)
    sizes = [c.n_particles for c in configs]
    return np.repeat(np.arange(len(configs), dtype=np.int64), sizes)


_STRUCTURES = ("thermal", "inherent")


def _check_structure(structure) -> None:
    if not isinstance(structure, str) or structure not in _STRUCTURES:
        raise ValueError(f"structure must be one of {_STRUCTURES}, got {structure!r}")


def _inherent_structures(configs: list[Configuration], n_jobs) -> list[Configuration]:
    """FIRE-quenched copies of ``configs`` (:func:`~skii_glass.inherent.inherent_structure`),
    over joblib threads when ``n_jobs`` asks for them (each quench is one serial numba
    call that releases the GIL, so threads need no process start-up)."""
    if n_jobs is None or n_jobs == 1 or len(configs) == 1:
        return [inherent_structure(c) for c in configs]
    from joblib import Parallel, delayed

    workers = n_workers(n_jobs, len(configs))
    return Parallel(n_jobs=workers, prefer="threads")(
        delayed(inherent_structure)(c) for c in configs
    )


class _DescriptorTransformer(TransformerMixin, BaseEstimator):
    """Shared machinery; subclasses fix ``_families`` or take ``descriptors``."""

    _families: tuple[str, ...] = DESCRIPTORS

    def _get_families(self) -> tuple[str, ...]:
        return self._families

    def _get_cutoff(self):
        # The cutoff resolved at fit ("gr-minimum" becomes a matrix), else the parameter.
        if hasattr(self, "neighbor_cutoff_"):
            return self.neighbor_cutoff_
        return getattr(self, "neighbor_cutoff", DEFAULT_NEIGHBOR_CUTOFF)

    def _get_density(self) -> str:
        return getattr(self, "density", DEFAULT_DENSITY)

    def _resolve_cutoff(self, configs):
        cutoff = getattr(self, "neighbor_cutoff", DEFAULT_NEIGHBOR_CUTOFF)
        if isinstance(cutoff, str):
            if cutoff != "gr-minimum":
                raise ValueError(
                    f"neighbor_cutoff must be a number, a matrix or 'gr-minimum', got "
                    f"{cutoff!r}"
                )
            return gr_minimum_cutoffs(configs, fallback=DEFAULT_NEIGHBOR_CUTOFF)
        return cutoff

    def _validate_params(self) -> tuple[np.ndarray, tuple[str, ...]]:
        lengths = check_lengths(self.lengths)
        _check_density(self._get_density())
        families = _check_descriptors(self._get_families())
        _check_structure(getattr(self, "structure", "thermal"))
        n_jobs = getattr(self, "n_jobs", None)
        if n_jobs is not None and (not isinstance(n_jobs, Integral) or n_jobs == 0):
            raise ValueError(f"n_jobs must be None or a non-zero integer, got {n_jobs!r}")
        return lengths, families

    def _check_configs(self, configs, lengths, families, neighbor_cutoff=None) -> None:
        # Fail before any computation, naming the configuration that does not fit.
        if not getattr(self, "allow_overlaps", False):
            # Overlaps first: an overlapping pair gives u ~ 1e24 or NaN, and a file with
            # one is usually a unit or format mistake that a size message would hide.
            for k, c in enumerate(configs):
                try:
                    check_overlaps(c)
                except ValueError as err:
                    raise ValueError(
                        f"configuration {k}: {err}; allow_overlaps=True (skii-glass "
                        "describe --allow-overlaps) computes the descriptors anyway"
                    ) from None
        needs_local = any(f in ("u", "psi6", "theta", "z") for f in families)
        if neighbor_cutoff is None:
            neighbor_cutoff = self._get_cutoff()
        for k, c in enumerate(configs):
            cutoff = _cutoff_matrix(c, neighbor_cutoff)
            reaches = [(float(lengths[-1]), f"coarse-graining length L = {lengths[-1]:g}")]
            if needs_local:
                present = np.ix_(np.unique(c.species), np.unique(c.species))
                pot = float(np.max(c.mixture.r_cut[present]))
                reaches.append((pot, f"the potential cutoff {pot:g}"))
                if any(f in ("psi6", "theta", "z") for f in families):
                    nb = float(np.max(cutoff[present]))
                    reaches.append((nb, f"the neighbour cutoff {nb:g}"))
            half = 0.5 * float(np.min(c.box))
            for reach, what in reaches:
                if reach > half:
                    raise ValueError(
                        f"{what} is larger than half the shorter box side ({half:g}) of "
                        f"configuration {k} ({c.n_particles} particles)"
                    )

    def fit(self, X, y=None):
        """Validate parameters and configurations; record ``lengths_``,
        ``feature_names_out_``, ``groups_``, ``n_configurations_`` and, for the families
        with neighbours, ``neighbor_cutoff_``.

        Parameters
        ----------
        X : Configuration or list of Configuration
        y : ignored

        Returns
        -------
        self
        """
        configs = as_configuration_list(X)
        lengths, families = self._validate_params()
        cutoff = self._resolve_cutoff(configs)
        self._check_configs(configs, lengths, families, cutoff)
        if hasattr(self, "neighbor_cutoff"):
            self.neighbor_cutoff_ = cutoff
        self.lengths_ = lengths
        self.descriptors_ = families
        self.feature_names_out_ = np.asarray(
            descriptor_names(self.lengths_, self.descriptors_), dtype=object
        )
        self.groups_ = configuration_groups(configs)
        self.n_configurations_ = len(configs)
        return self

    def transform(self, X):
        """Descriptor matrix of shape (total particles, n_features), rows stacked by
        configuration.

        Parameters
        ----------
        X : Configuration or list of Configuration

        Returns
        -------
        ndarray (or DataFrame after ``set_output(transform="pandas")``)
        """
        check_is_fitted(self, "feature_names_out_")
        configs = as_configuration_list(X)
        self._check_configs(configs, self.lengths_, self.descriptors_)
        if getattr(self, "structure", "thermal") == "inherent":
            configs = _inherent_structures(configs, getattr(self, "n_jobs", None))
        n_jobs = getattr(self, "n_jobs", None)
        args = (self.lengths_, self._get_cutoff(), self.descriptors_)
        kwargs = {"density": self._get_density()}
        if n_jobs is None or n_jobs == 1 or len(configs) == 1:
            blocks = [structural_descriptors(c, *args, **kwargs) for c in configs]
        else:
            from joblib import Parallel, delayed

            # One joblib worker among several: share the cores instead of oversubscribing.
            workers = n_workers(n_jobs, len(configs))
            threads = threads_per_worker(workers)
            blocks = Parallel(n_jobs=workers)(
                delayed(call_with_threads)(threads, structural_descriptors, c, *args, **kwargs)
                for c in configs
            )
        return np.vstack(blocks)

    def get_feature_names_out(self, input_features=None):
        """Column names ``f"{name}_L{L:.1f}"`` (``input_features`` is ignored: the input
        is a list of configurations, not a table)."""
        check_is_fitted(self, "feature_names_out_")
        return self.feature_names_out_.copy()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # Input is configurations, not a 2-D array.
        tags.input_tags.two_d_array = False
        tags.non_deterministic = False
        return tags


class StructuralDescriptors(_DescriptorTransformer):
    """All coarse-grained structural descriptors (60 columns by default).

    Parameters
    ----------
    lengths : sequence of float, default (0.5, 1.0, ..., 5.0)
        Coarse-graining lengths; sorted increasing in the output. The largest must be at
        most half the shorter box side of every configuration.
    neighbor_cutoff : float, (n_species, n_species) array or "gr-minimum", default 1.4
        Neighbour cutoff for z, psi6 and theta in units of ``sigma_ab``.
        ``"gr-minimum"``: the first minimum of each partial g_ab(r) measured on the
        configurations passed to ``fit`` (1.4 for pairs without a clear minimum; see
        :func:`~skii_glass.structure.gr_minimum_cutoffs`).
    descriptors : sequence of str, default ("rho", "phi", "u", "psi6", "theta", "z")
        Families to compute, in this column order.
    density : {"overlap", "count"}, default "overlap"
        Definition of rho and phi: fractions (rho) and areas (phi) of the disks inside
        the circle of radius L, or sharp counting of the centres with ``r_ij < L`` (see
        :func:`~skii_glass.descriptors.local_density`).
    n_jobs : int or None, default None
        joblib workers over configurations (None: one after the other, each using all
        numba threads; with several workers each gets ``cores // workers`` threads).
    structure : {"thermal", "inherent"}, default "thermal"
        Describe each configuration as given ("thermal") or its inherent structure, the
        local energy minimum reached by a FIRE quench
        (:func:`~skii_glass.inherent.inherent_structure`, ``fmax = 1e-8``; ~0.4 s CPU per
        ka2d configuration of 1290 particles). Species and box are unchanged, so rows
        and ``groups_`` are the same.
    allow_overlaps : bool, default False
        Compute descriptors even when two particles are closer than 0.5 sigma_ab
        (otherwise ``fit`` and ``transform`` raise ``ValueError`` naming the pair).

    Attributes
    ----------
    lengths_ : ndarray
    descriptors_ : tuple of str
    feature_names_out_ : ndarray of str
    groups_ : ndarray of int
        Configuration id of each row of the data passed to ``fit``.
    n_configurations_ : int
    neighbor_cutoff_ : float or ndarray
        The neighbour cutoff used (the measured factors for ``"gr-minimum"``).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.model_selection import GroupKFold, cross_val_score
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skii_glass import Configuration
    >>> rng = np.random.default_rng(0)
    >>> grid = np.stack(np.meshgrid(np.arange(11.0), np.arange(11.0)), -1).reshape(-1, 2)
    >>> configs = [Configuration(grid + rng.normal(0, 0.1, grid.shape),
    ...                          rng.integers(0, 3, 121), 11.0) for _ in range(3)]
    >>> desc = StructuralDescriptors().set_output(transform="pandas")
    >>> X = desc.fit_transform(configs)
    >>> X.shape, X.columns[0], X.columns[-1], np.bincount(desc.groups_).tolist()
    ((363, 60), 'rho_L0.5', 'z_L5.0', [121, 121, 121])
    >>> y = X["u_L1.0"].to_numpy()  # any per-particle target
    >>> model = make_pipeline(StandardScaler(), LinearRegression())
    >>> scores = cross_val_score(model, X, y, groups=desc.groups_, cv=GroupKFold(3))
    >>> len(scores)
    3
    """

    def __init__(
        self,
        lengths=DEFAULT_LENGTHS,
        neighbor_cutoff=DEFAULT_NEIGHBOR_CUTOFF,
        descriptors=DESCRIPTORS,
        n_jobs=None,
        structure="thermal",
        density=DEFAULT_DENSITY,
        allow_overlaps=False,
    ):
        self.lengths = lengths
        self.neighbor_cutoff = neighbor_cutoff
        self.descriptors = descriptors
        self.n_jobs = n_jobs
        self.structure = structure
        self.density = density
        self.allow_overlaps = allow_overlaps

    def _get_families(self):
        return self.descriptors


class DensityDescriptors(_DescriptorTransformer):
    """Local number density ``rho`` and area fraction ``phi`` within each length.

    ``density="overlap"`` (default): every particle j (i included) contributes the part
    of its disk (radius ``sigma_jj / 2``) inside the circle of radius L around i; ``rho_L``
    sums the disk fractions, ``phi_L`` the disk areas, both over ``pi L^2`` (smooth in
    L). ``density="count"``: ``rho_L = #{j: r_ij < L, i included} / (pi L^2)`` and
    ``phi_L`` sums ``pi (sigma_jj / 2)^2`` over the same set. Columns ``rho_L*`` then
    ``phi_L*``.

    Parameters
    ----------
    lengths : sequence of float, default (0.5, 1.0, ..., 5.0)
    n_jobs : int or None, default None
    density : {"overlap", "count"}, default "overlap"
    allow_overlaps : bool, default False
        Compute descriptors even when two particles are closer than 0.5 sigma_ab
        (otherwise ``fit`` and ``transform`` raise ``ValueError`` naming the pair).

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> x, y = np.meshgrid(np.arange(11.0), np.arange(11.0))
    >>> sq = Configuration(np.c_[x.ravel(), y.ravel()], np.zeros(121, int), box=11.0)
    >>> d = DensityDescriptors(lengths=[1.1], density="count").fit(sq)
    >>> d.get_feature_names_out().tolist()
    ['rho_L1.1', 'phi_L1.1']
    >>> np.allclose(d.transform(sq) * np.pi * 1.1**2, [5, 5 * np.pi / 4])
    True
    >>> smooth = DensityDescriptors(lengths=[1.1]).fit_transform(sq)
    >>> np.round(smooth[0] * np.pi * 1.1**2, 3).tolist()  # own disk + parts of 8 others
    [3.747, 2.943]
    """

    _families = ("rho", "phi")

    def __init__(self, lengths=DEFAULT_LENGTHS, n_jobs=None, density=DEFAULT_DENSITY,
                 allow_overlaps=False):
        self.lengths = lengths
        self.n_jobs = n_jobs
        self.density = density
        self.allow_overlaps = allow_overlaps


class EnergyDescriptors(_DescriptorTransformer):
    """Coarse-grained local potential energy ``u_i = sum_j V(r_ij)`` (columns ``u_L*``).

    Parameters
    ----------
    lengths : sequence of float, default (0.5, 1.0, ..., 5.0)
    n_jobs : int or None, default None
    allow_overlaps : bool, default False
        Compute descriptors even when two particles are closer than 0.5 sigma_ab
        (otherwise ``fit`` and ``transform`` raise ``ValueError`` naming the pair).

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> rng = np.random.default_rng(1)
    >>> grid = np.stack(np.meshgrid(np.arange(11.0), np.arange(11.0)), -1).reshape(-1, 2)
    >>> c = Configuration(grid + rng.normal(0, 0.1, grid.shape), rng.integers(0, 3, 121), 11.0)
    >>> EnergyDescriptors(lengths=[0.5, 2.0]).fit_transform(c).shape
    (121, 2)
    """

    _families = ("u",)

    def __init__(self, lengths=DEFAULT_LENGTHS, n_jobs=None, allow_overlaps=False):
        self.lengths = lengths
        self.n_jobs = n_jobs
        self.allow_overlaps = allow_overlaps


class _NeighborFamily(_DescriptorTransformer):
    def __init__(
        self, lengths=DEFAULT_LENGTHS, neighbor_cutoff=DEFAULT_NEIGHBOR_CUTOFF, n_jobs=None,
        allow_overlaps=False,
    ):
        self.lengths = lengths
        self.neighbor_cutoff = neighbor_cutoff
        self.n_jobs = n_jobs
        self.allow_overlaps = allow_overlaps


class BondOrderDescriptors(_NeighborFamily):
    """Coarse-grained hexatic order ``psi6`` (columns ``psi6_L*``).

    Parameters
    ----------
    lengths : sequence of float, default (0.5, 1.0, ..., 5.0)
    neighbor_cutoff : float, array or "gr-minimum", default 1.4
        Neighbours are ``r_ij < neighbor_cutoff * sigma_ab`` (``"gr-minimum"``: as in
        :class:`StructuralDescriptors`).
    n_jobs : int or None, default None
    allow_overlaps : bool, default False
        Compute descriptors even when two particles are closer than 0.5 sigma_ab
        (otherwise ``fit`` and ``transform`` raise ``ValueError`` naming the pair).

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> x, y = np.meshgrid(np.arange(11.0), np.arange(11.0))
    >>> sq = Configuration(np.c_[x.ravel(), y.ravel()], np.zeros(121, int), box=11.0)
    >>> bool(np.allclose(BondOrderDescriptors().fit_transform(sq), 0.0))
    True
    """

    _families = ("psi6",)


class StericOrderDescriptors(_NeighborFamily):
    """Coarse-grained Tong-Tanaka steric order ``theta`` (columns ``theta_L*``).

    Parameters
    ----------
    lengths : sequence of float, default (0.5, 1.0, ..., 5.0)
    neighbor_cutoff : float, array or "gr-minimum", default 1.4
    n_jobs : int or None, default None
    allow_overlaps : bool, default False
        Compute descriptors even when two particles are closer than 0.5 sigma_ab
        (otherwise ``fit`` and ``transform`` raise ``ValueError`` naming the pair).

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> x, y = np.meshgrid(np.arange(11.0), np.arange(11.0))
    >>> sq = Configuration(np.c_[x.ravel(), y.ravel()], np.zeros(121, int), box=11.0)
    >>> t = StericOrderDescriptors(lengths=[1.0]).fit_transform(sq)  # 90 vs 60 degrees
    >>> bool(np.allclose(t, np.pi / 6))
    True
    """

    _families = ("theta",)


class CoordinationDescriptors(_NeighborFamily):
    """Coarse-grained coordination number ``z`` (columns ``z_L*``).

    Parameters
    ----------
    lengths : sequence of float, default (0.5, 1.0, ..., 5.0)
    neighbor_cutoff : float, array or "gr-minimum", default 1.4
    n_jobs : int or None, default None
    allow_overlaps : bool, default False
        Compute descriptors even when two particles are closer than 0.5 sigma_ab
        (otherwise ``fit`` and ``transform`` raise ``ValueError`` naming the pair).

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass import Configuration
    >>> x, y = np.meshgrid(np.arange(11.0), np.arange(11.0))
    >>> sq = Configuration(np.c_[x.ravel(), y.ravel()], np.zeros(121, int), box=11.0)
    >>> np.unique(CoordinationDescriptors(lengths=[2.0]).fit_transform(sq)).tolist()
    [4.0]
    """

    _families = ("z",)
