"""How much of the propensity is reproducible: the noise ceiling of any structural predictor.

The iso-configurational propensity of particle i is a mean over R trajectories,
``p_i = (1/R) sum_t |dr_i^CR(tau_alpha)|_t``. Each trajectory adds thermal noise, so two
independent estimates of p correlate less than perfectly, and no function of the structure
can correlate with the measured p better than p correlates with its own noise-free value.
With ``r_h`` the Pearson correlation between the means of two disjoint halves of the
trajectories (h trajectories each), the Spearman-Brown formula gives the *reliability* of
the mean of all R trajectories,

    R_R = n r_h / (1 + (n - 1) r_h),    n = R / h,

the squared correlation between the measured and the infinitely-averaged propensity
(classical test theory: the trajectories are parallel measurements). Any feature x then
has ``|r(x, p_measured)| <= sqrt(R_R)``: ``sqrt(R_R)`` is the **noise ceiling**, and
``|r| / sqrt(R_R)`` is the correlation the feature would have with a noise-free propensity.

The module also summarises how heterogeneous the propensity is (coefficient of
variation, p90/p10), the non-Gaussian parameter of the cage-relative displacements at
tau_alpha, and how much of the propensity the species alone explain.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

__all__ = [
    "PropensityReliability",
    "propensity_reliability",
    "spearman_brown",
    "non_gaussian_parameter",
    "species_correlation",
]


def spearman_brown(r: float, factor: float) -> float:
    """Reliability of a mean over ``factor`` times as many trajectories (Spearman-Brown).

    Parameters
    ----------
    r : float
        Correlation between two independent estimates of the smaller size, in (-1, 1].
    factor : float
        Ratio of the sizes (2 for two halves of the full set).

    Returns
    -------
    float
        ``factor r / (1 + (factor - 1) r)``; 0 when r <= 0 (no measurable signal).

    Examples
    --------
    >>> spearman_brown(0.5, 2)
    0.6666666666666666
    >>> spearman_brown(-0.1, 2)
    0.0
    """
    if factor <= 0:
        raise ValueError(f"factor must be positive, got {factor}")
    if not np.isfinite(r):
        raise ValueError(f"correlation must be finite, got {r}")
    if r <= 0:
        return 0.0
    return float(factor * r / (1.0 + (factor - 1.0) * r))


def non_gaussian_parameter(distances) -> float:
    """2D non-Gaussian parameter ``alpha_2 = <r^4> / (2 <r^2>^2) - 1`` of displacement lengths.

    Zero for a 2D Gaussian displacement distribution; large when a few particles move much
    further than the rest (dynamic heterogeneity).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> r = np.hypot(*rng.normal(size=(2, 200_000)))
    >>> round(non_gaussian_parameter(r), 2)
    0.0
    """
    r2 = np.asarray(distances, dtype=np.float64).ravel() ** 2
    if r2.size == 0 or not np.all(np.isfinite(r2)):
        raise ValueError("displacements must be a non-empty array of finite values")
    m2 = r2.mean()
    if m2 == 0:
        raise ValueError("all displacements are zero")
    return float(np.mean(r2 * r2) / (2.0 * m2 * m2) - 1.0)


def species_correlation(propensity, species) -> float:
    """|r| between the propensity and its species means (the correlation ratio).

    The best any predictor that knows only each particle's species can do: the Pearson
    correlation of p with the mean p of its species.

    Examples
    --------
    >>> p = np.array([1.0, 1.2, 3.0, 3.2])
    >>> round(species_correlation(p, [0, 0, 1, 1]), 4)
    0.995
    """
    p = np.asarray(propensity, dtype=np.float64)
    s = np.asarray(species)
    if p.shape != s.shape or p.ndim != 1:
        raise ValueError("propensity and species must be 1-D arrays of the same length")
    codes, inverse = np.unique(s, return_inverse=True)
    means = np.bincount(inverse, weights=p) / np.bincount(inverse)
    pred = means[inverse]
    sp, sq = p.std(), pred.std()
    if sp == 0 or sq == 0:
        return 0.0
    return float(abs(np.mean((p - p.mean()) * (pred - pred.mean())) / (sp * sq)))


@dataclass(frozen=True)
class PropensityReliability:
    """Noise ceiling and heterogeneity of a propensity dataset (:func:`propensity_reliability`).

    Attributes
    ----------
    n_trajectories : int
        R, trajectories averaged per configuration.
    split_half_correlation : float
        Mean over configurations (and random splits) of Pearson r between the propensities
        of two disjoint halves of the trajectories.
    reliability : float
        R_R by Spearman-Brown from the split-half correlation, mean over configurations,
        in [0, 1]: the squared correlation between the measured and the noise-free propensity.
    noise_ceiling : float
        ``sqrt(reliability)``: the largest |r| any structural feature can reach.
    reliability_per_configuration : list of float
    coefficient_of_variation : float
        std / mean of the propensity within a configuration, averaged over configurations.
    p90_over_p10 : float
        90th over 10th percentile of the propensity, averaged over configurations.
    alpha2_at_tau : float or None
        Non-Gaussian parameter of the per-trajectory |dr^CR(tau_alpha)| (all particles,
        trajectories and configurations pooled).
    species_abs_pearson : float or None
        |r| explained by species alone (:func:`species_correlation`), mean over configurations.
    """

    n_trajectories: int
    split_half_correlation: float
    reliability: float
    noise_ceiling: float
    reliability_per_configuration: list
    coefficient_of_variation: float
    p90_over_p10: float
    alpha2_at_tau: float | None
    species_abs_pearson: float | None

    def to_dict(self) -> dict:
        """JSON-serialisable dictionary of the attributes."""
        return asdict(self)


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    a = a - a.mean()
    b = b - b.mean()
    den = np.sqrt(np.dot(a, a) * np.dot(b, b))
    return float(np.dot(a, b) / den) if den > 0 else 0.0


def propensity_reliability(
    displacements,
    *,
    species=None,
    n_splits: int = 20,
    random_state: int | None = 0,
) -> PropensityReliability:
    """Split-half reliability (noise ceiling) and heterogeneity of iso-configurational propensities.

    Parameters
    ----------
    displacements : array-like of shape (n_configurations, n_trajectories, N)
        Each trajectory's |dr^CR(tau_alpha)| per particle (the propensity is their mean over
        trajectories). A list of (n_trajectories, N) arrays (different N per configuration)
        also works.
    species : sequence of array-like of shape (N,), optional
        Species codes per configuration, for :attr:`PropensityReliability.species_abs_pearson`.
    n_splits : int, default 20
        Random half splits of the trajectories averaged per configuration.
    random_state : int or None
        Seeds the splits.

    Returns
    -------
    PropensityReliability

    Examples
    --------
    Synthetic propensities with a known signal-to-noise ratio: per-particle signal of
    variance 1, per-trajectory noise of variance 9, so averaging R = 30 trajectories gives
    the reliability 1 / (1 + 9 / 30) = 0.769:

    >>> rng = np.random.default_rng(1)
    >>> signal = rng.normal(size=(4, 1, 5000))
    >>> d = 10 + signal + 3 * rng.normal(size=(4, 30, 5000))
    >>> rel = propensity_reliability(d)
    >>> round(rel.reliability, 2), round(rel.noise_ceiling, 2)
    (0.77, 0.88)
    """
    per_conf = [np.asarray(d, dtype=np.float64) for d in displacements]
    if not per_conf:
        raise ValueError("need at least one configuration")
    n_traj = per_conf[0].shape[0] if per_conf[0].ndim == 2 else 0
    for c, d in enumerate(per_conf):
        if d.ndim != 2:
            raise ValueError(f"configuration {c}: displacements must be (n_trajectories, N), "
                             f"got shape {d.shape}")
        if d.shape[0] != n_traj:
            raise ValueError("every configuration needs the same number of trajectories")
        if d.shape[1] < 3:
            raise ValueError(f"configuration {c}: need at least 3 particles")
        if not np.all(np.isfinite(d)):
            raise ValueError(f"configuration {c}: displacements contain NaN or inf")
    if n_traj < 2:
        raise ValueError("the reliability needs at least 2 trajectories per configuration "
                         f"(got {n_traj})")
    if n_splits < 1:
        raise ValueError("n_splits must be at least 1")
    if species is not None:
        species = [np.asarray(s) for s in species]
        if len(species) != len(per_conf) or any(
            s.shape != (d.shape[1],) for s, d in zip(species, per_conf, strict=True)
        ):
            raise ValueError("species must give one (N,) array per configuration")

    rng = np.random.default_rng(random_state)
    half = n_traj // 2
    r_half, rel, cv, ratio, sp = [], [], [], [], []
    for c, d in enumerate(per_conf):
        rs = []
        for _ in range(n_splits):
            perm = rng.permutation(n_traj)
            rs.append(_pearson(d[perm[:half]].mean(axis=0), d[perm[half:2 * half]].mean(axis=0)))
        r = float(np.mean(rs))
        r_half.append(r)
        rel.append(spearman_brown(r, n_traj / half))
        p = d.mean(axis=0)
        cv.append(float(p.std() / p.mean()) if p.mean() > 0 else float("nan"))
        p10, p90 = np.percentile(p, [10, 90])
        ratio.append(float(p90 / p10) if p10 > 0 else float("inf"))
        if species is not None:
            sp.append(species_correlation(p, species[c]))
    reliability = float(np.mean(rel))
    alpha2 = non_gaussian_parameter(np.concatenate([d.ravel() for d in per_conf]))
    return PropensityReliability(
        n_trajectories=int(n_traj),
        split_half_correlation=float(np.mean(r_half)),
        reliability=reliability,
        noise_ceiling=float(np.sqrt(reliability)),
        reliability_per_configuration=[float(v) for v in rel],
        coefficient_of_variation=float(np.mean(cv)),
        p90_over_p10=float(np.mean(ratio)),
        alpha2_at_tau=alpha2,
        species_abs_pearson=float(np.mean(sp)) if sp else None,
    )
