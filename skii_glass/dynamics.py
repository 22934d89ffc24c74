"""Single-particle dynamics from unwrapped trajectories.

All functions take *unwrapped* positions (particles may leave the box; displacements are
then plain differences), as :func:`skii_glass.simulation.run_mc` stores them, with shape
``(n_times, N, 2)``; the first frame is time 0.

What is computed, and the conventions:

* displacements ``dr_i(t) = r_i(t) - r_i(0)`` minus the centre-of-mass drift (all masses
  are 1, so the mean displacement over all particles);
* cage neighbours: the particles ``j`` with ``|r_ij(0)| < cutoff * sigma_ab`` at time 0
  (minimum image; ``cutoff = 1.4`` by default, near the first minimum of g(r));
* cage-relative displacement ``dr_i^CR(t) = dr_i(t) - mean_j dr_j(t)`` over those
  neighbours. It removes the long-wavelength (Mermin-Wagner) fluctuations that make 2D
  displacements large without any cage escape; a particle without neighbours keeps its
  plain displacement;
* the self-intermediate scattering function, isotropically averaged in 2D,
  ``F_s(k, t) = < J0(k |dr|) >`` (the angular mean of ``cos(k . dr)``);
* ``tau_alpha``: the first time ``F_s = 1/e``, interpolated linearly in ``ln t``;
* the 2D non-Gaussian parameter ``alpha2 = <dr^4> / (2 <dr^2>^2) - 1`` (0 for Gaussian
  displacements);
* bond breaking: a bond ``(i, j)`` exists at t = 0 when ``r_ij < A1 sigma_ab`` (A1 = 1.4)
  and counts as broken at time t when ``r_ij(t) >= A2 sigma_ab`` (A2 = 1.8); the bond-breaking
  propensity of i is ``1 - (fraction of its initial bonds intact at t)``, 0 for a particle
  without bonds. The two thresholds give hysteresis: rattling inside the cage does not
  break a bond.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse
from scipy.spatial import cKDTree
from scipy.special import j0

__all__ = [
    "NeighborList",
    "Relaxation",
    "displacements",
    "remove_drift",
    "cage_neighbors",
    "cage_relative_displacements",
    "mean_squared_displacement",
    "self_intermediate_scattering",
    "non_gaussian_parameter",
    "relaxation_time",
    "bond_breaking",
    "analyze_relaxation",
]

#: Cage / bond cutoff A1 and bond-breaking threshold A2, in units of sigma_ab.
CAGE_CUTOFF = 1.4
BOND_BREAK = 1.8


# --------------------------------------------------------------------------- validation
def _as_trajectory(positions, name="positions") -> np.ndarray:
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim == 2:
        pos = pos[None]
    if pos.ndim != 3 or pos.shape[2] != 2:
        raise ValueError(f"{name} must have shape (n_times, N, 2), got {np.shape(positions)}")
    if pos.shape[0] == 0 or pos.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {pos.shape})")
    if not np.all(np.isfinite(pos)):
        raise ValueError(f"{name} contain NaN or infinite values")
    return pos


def _as_box(box) -> np.ndarray:
    b = np.broadcast_to(np.asarray(box, dtype=np.float64), (2,)).copy()
    if not np.all(np.isfinite(b)) or np.any(b <= 0):
        raise ValueError(f"box sides must be positive and finite, got {b}")
    return b


def _as_species(species, n: int, sigma: np.ndarray) -> np.ndarray:
    s = np.asarray(species)
    if s.shape != (n,):
        raise ValueError(f"species must have shape ({n},), got {s.shape}")
    if s.dtype.kind not in "iu":
        if s.dtype.kind == "f" and np.all(s == np.rint(s)):
            s = s.astype(np.int64)
        else:
            raise ValueError("species must be integer codes")
    s = s.astype(np.int64)
    if s.size and (s.min() < 0 or s.max() >= sigma.shape[0]):
        raise ValueError(
            f"species codes must lie in 0..{sigma.shape[0] - 1} (sigma is {sigma.shape})"
        )
    return s


def _as_sigma(sigma) -> np.ndarray:
    sig = np.atleast_2d(np.asarray(sigma, dtype=np.float64))
    if sig.ndim != 2 or sig.shape[0] != sig.shape[1]:
        raise ValueError(f"sigma must be a square matrix, got shape {sig.shape}")
    if not np.all(np.isfinite(sig)) or np.any(sig <= 0):
        raise ValueError("sigma must be positive and finite")
    return sig


def _as_displacements(dr, name="displacements") -> np.ndarray:
    return _as_trajectory(dr, name)


# --------------------------------------------------------------------------- displacements
def remove_drift(dr) -> np.ndarray:
    """Subtract the centre-of-mass displacement of each frame (all masses equal).

    Parameters
    ----------
    dr : array of shape (n_times, N, 2)

    Examples
    --------
    >>> import numpy as np
    >>> remove_drift(np.array([[[1.0, 0.0], [3.0, 2.0]]])).tolist()
    [[[-1.0, -1.0], [1.0, 1.0]]]
    """
    dr = _as_displacements(dr)
    return dr - dr.mean(axis=1, keepdims=True)


def displacements(positions, *, remove_com: bool = True) -> np.ndarray:
    """Displacements ``r_i(t) - r_i(0)`` from unwrapped positions, drift removed.

    Parameters
    ----------
    positions : array of shape (n_times, N, 2)
        Unwrapped positions; frame 0 is the reference.
    remove_com : bool, default True
        Subtract the centre-of-mass displacement of each frame.

    Examples
    --------
    >>> import numpy as np
    >>> pos = np.array([[[0.0, 0.0], [1.0, 0.0]], [[0.5, 0.0], [1.5, 1.0]]])
    >>> displacements(pos)[1].tolist()
    [[0.0, -0.5], [0.0, 0.5]]
    """
    pos = _as_trajectory(positions)
    dr = pos - pos[:1]
    return dr - dr.mean(axis=1, keepdims=True) if remove_com else dr


# --------------------------------------------------------------------------- neighbours
@dataclass(frozen=True)
class NeighborList:
    """Per-particle neighbour lists in compressed (CSR) form.

    The neighbours of particle ``i`` are ``indices[indptr[i]:indptr[i + 1]]`` (each
    pair appears in both lists). ``pairs`` holds each pair once, ``i < j``.
    :func:`cage_neighbors` builds it.

    Attributes
    ----------
    indptr : int64 array of shape (N + 1,)
        Row ``i`` spans ``indptr[i]:indptr[i + 1]``.
    indices : int64 array of shape (2 n_pairs,)
        Neighbour ``j`` of each entry.
    pairs : int64 array of shape (n_pairs, 2)
        Each pair once, ``i < j``, sorted.

    Examples
    --------
    >>> import numpy as np
    >>> nl = NeighborList(indptr=np.array([0, 1, 2, 2]), indices=np.array([1, 0]),
    ...                   pairs=np.array([[0, 1]]))
    >>> nl.n_particles, nl.counts.tolist()
    (3, [1, 1, 0])
    >>> nl.matrix().toarray().astype(int).tolist()
    [[0, 1, 0], [1, 0, 0], [0, 0, 0]]
    """

    indptr: np.ndarray
    indices: np.ndarray
    pairs: np.ndarray = field(repr=False)

    @property
    def n_particles(self) -> int:
        return self.indptr.shape[0] - 1

    @property
    def counts(self) -> np.ndarray:
        """Number of neighbours of each particle."""
        return np.diff(self.indptr)

    def matrix(self) -> scipy.sparse.csr_matrix:
        """The symmetric 0/1 adjacency matrix."""
        n = self.n_particles
        data = np.ones(self.indices.shape[0])
        return scipy.sparse.csr_matrix((data, self.indices, self.indptr), shape=(n, n))


def _minimum_image(d: np.ndarray, box: np.ndarray) -> np.ndarray:
    return d - box * np.rint(d / box)


def cage_neighbors(
    positions, species, box, sigma, *, cutoff: float = CAGE_CUTOFF
) -> NeighborList:
    """Neighbours with ``r_ij < cutoff * sigma[s_i, s_j]`` in a periodic box.

    Parameters
    ----------
    positions : array of shape (N, 2)
        Positions (wrapped or not; they are wrapped here).
    species : array of int, shape (N,)
    box : float or array of shape (2,)
    sigma : array of shape (n_species, n_species)
    cutoff : float, default 1.4
        In units of ``sigma_ab``; strict inequality.

    Examples
    --------
    >>> import numpy as np
    >>> nl = cage_neighbors([[0.5, 0.5], [1.5, 0.5], [9.8, 0.5]], [0, 0, 0], 10.0, [[1.0]])
    >>> nl.pairs.tolist(), nl.counts.tolist()
    ([[0, 1], [0, 2]], [2, 1, 1])
    """
    pos = _as_trajectory(positions)
    if pos.shape[0] != 1:
        raise ValueError("cage_neighbors takes one frame of positions, shape (N, 2)")
    pos = pos[0]
    n = pos.shape[0]
    box = _as_box(box)
    sigma = _as_sigma(sigma)
    species = _as_species(species, n, sigma)
    if not cutoff > 0:
        raise ValueError(f"cutoff must be positive, got {cutoff}")
    r_max = float(cutoff * sigma.max())
    if r_max >= box.min() / 2:
        raise ValueError(
            f"neighbour cutoff {r_max:.3g} must be below half the box side {box.min() / 2:.3g}"
        )
    wrapped = np.mod(pos, box)
    wrapped[wrapped >= box] = 0.0
    tree = cKDTree(wrapped, boxsize=box)
    pairs = tree.query_pairs(r_max, output_type="ndarray").astype(np.int64)
    if pairs.size:
        d = _minimum_image(wrapped[pairs[:, 1]] - wrapped[pairs[:, 0]], box)
        r = np.hypot(d[:, 0], d[:, 1])
        keep = r < cutoff * sigma[species[pairs[:, 0]], species[pairs[:, 1]]]
        pairs = pairs[keep]
        pairs = pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]
    else:
        pairs = np.empty((0, 2), dtype=np.int64)
    both = np.concatenate([pairs, pairs[:, ::-1]])
    order = np.lexsort((both[:, 1], both[:, 0]))
    both = both[order]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(both[:, 0], minlength=n), out=indptr[1:])
    return NeighborList(indptr=indptr, indices=both[:, 1].copy(), pairs=pairs)


def cage_relative_displacements(dr, neighbors: NeighborList) -> np.ndarray:
    """``dr_i - mean_j dr_j`` over i's neighbours (a particle without any keeps ``dr_i``).

    Parameters
    ----------
    dr : array of shape (n_times, N, 2)
        Displacements (see :func:`displacements`).
    neighbors : NeighborList
        Neighbours at time 0 (see :func:`cage_neighbors`).

    Examples
    --------
    A rigid translation of everything leaves no cage-relative displacement:

    >>> import numpy as np
    >>> nl = cage_neighbors([[0.5, 0.5], [1.5, 0.5], [2.5, 0.5]], [0, 0, 0], 10.0, [[1.0]])
    >>> dr = np.tile([0.3, -0.2], (1, 3, 1))
    >>> float(np.abs(cage_relative_displacements(dr, nl)).max())
    0.0
    """
    dr = _as_displacements(dr)
    n_t, n, _ = dr.shape
    if neighbors.n_particles != n:
        raise ValueError(
            f"neighbour list is for {neighbors.n_particles} particles, displacements for {n}"
        )
    counts = neighbors.counts.astype(np.float64)
    weights = np.divide(1.0, counts, out=np.zeros_like(counts), where=counts > 0)
    mean_op = scipy.sparse.diags(weights) @ neighbors.matrix()
    flat = dr.transpose(1, 0, 2).reshape(n, n_t * 2)
    cage = np.asarray(mean_op @ flat).reshape(n, n_t, 2).transpose(1, 0, 2)
    return dr - cage


# --------------------------------------------------------------------------- observables
def mean_squared_displacement(dr) -> np.ndarray:
    """``<|dr|^2>`` over particles, per frame.

    Examples
    --------
    >>> import numpy as np
    >>> mean_squared_displacement([[[3.0, 4.0], [0.0, 1.0]]]).tolist()
    [13.0]
    """
    dr = _as_displacements(dr)
    return np.einsum("tnd,tnd->tn", dr, dr).mean(axis=1)


def self_intermediate_scattering(dr, k) -> np.ndarray:
    """Isotropic 2D self-intermediate scattering function ``<J0(k |dr|)>``.

    ``J0(k r)`` is the average of ``cos(k . dr)`` over the directions of a wavevector of
    modulus ``k`` in 2D, so no wavevector sampling is needed.

    Parameters
    ----------
    dr : array of shape (n_times, N, 2)
    k : float or array of floats
        Wavevector modulus (or several).

    Returns
    -------
    ndarray of shape (n_times,) for scalar ``k``, else (len(k), n_times).

    Examples
    --------
    >>> import numpy as np
    >>> dr = np.zeros((2, 3, 2)); dr[1, :, 0] = 0.5
    >>> np.round(self_intermediate_scattering(dr, 2 * np.pi), 6).tolist()
    [1.0, -0.304242]
    """
    dr = _as_displacements(dr)
    k_arr = np.asarray(k, dtype=np.float64)
    if not np.all(np.isfinite(k_arr)) or np.any(k_arr <= 0):
        raise ValueError(f"k must be positive and finite, got {k}")
    r = np.hypot(dr[..., 0], dr[..., 1])
    out = np.array([j0(kk * r).mean(axis=1) for kk in np.atleast_1d(k_arr)])
    return out[0] if k_arr.ndim == 0 else out


def non_gaussian_parameter(dr) -> np.ndarray:
    """2D non-Gaussian parameter ``<dr^4> / (2 <dr^2>^2) - 1`` per frame (0 when dr = 0).

    Examples
    --------
    Displacements all of the same length are "sub-Gaussian":

    >>> import numpy as np
    >>> non_gaussian_parameter([[[1.0, 0.0], [0.0, 1.0]]]).tolist()
    [-0.5]
    """
    dr = _as_displacements(dr)
    r2 = np.einsum("tnd,tnd->tn", dr, dr)
    m2 = r2.mean(axis=1)
    m4 = (r2 * r2).mean(axis=1)
    out = np.zeros_like(m2)
    ok = m2 > 0
    out[ok] = m4[ok] / (2.0 * m2[ok] ** 2) - 1.0
    return out


def relaxation_time(times, f, *, threshold: float = 1.0 / np.e) -> float:
    """First time where ``f`` falls to ``threshold``, interpolated linearly in ``ln t``.

    Between t = 0 and the first positive time the interpolation is linear in t. If ``f``
    never reaches the threshold, a ``RuntimeWarning`` is issued and NaN returned (run
    longer).

    Examples
    --------
    >>> import numpy as np
    >>> t = np.geomspace(1, 1000, 61)
    >>> f = np.exp(-t / 50.0)
    >>> round(relaxation_time(t, f), 1)
    50.0
    """
    t = np.asarray(times, dtype=np.float64)
    f = np.asarray(f, dtype=np.float64)
    if t.ndim != 1 or f.shape != t.shape:
        raise ValueError(f"times and f must be 1-D of equal length, got {t.shape}, {f.shape}")
    if t.size < 2:
        raise ValueError("need at least two times")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(f))):
        raise ValueError("times and f must be finite")
    if t[0] < 0 or np.any(np.diff(t) <= 0):
        raise ValueError("times must be non-negative and strictly increasing")
    below = np.nonzero(f <= threshold)[0]
    if below.size == 0:
        warnings.warn(
            f"F never reached {threshold:.4g} (last value {f[-1]:.4g} at t = {t[-1]:g}); "
            "tau_alpha is NaN: run longer",
            RuntimeWarning,
            stacklevel=2,
        )
        return float("nan")
    i = int(below[0])
    if i == 0:
        return float(t[0])
    t0, t1, f0, f1 = t[i - 1], t[i], f[i - 1], f[i]
    frac = (f0 - threshold) / (f0 - f1)
    if t0 <= 0:
        return float(t0 + frac * (t1 - t0))
    return float(np.exp(np.log(t0) + frac * (np.log(t1) - np.log(t0))))


def bond_breaking(
    positions,
    species,
    box,
    sigma,
    *,
    bond_cutoff: float = CAGE_CUTOFF,
    break_cutoff: float = BOND_BREAK,
    neighbors: NeighborList | None = None,
) -> np.ndarray:
    """Bond-breaking propensity ``1 - (fraction of initial bonds intact)`` per frame.

    Parameters
    ----------
    positions : array of shape (n_times, N, 2)
        Unwrapped (or wrapped: distances use the minimum image) positions; frame 0
        defines the bonds.
    species, box, sigma
        As for :func:`cage_neighbors`.
    bond_cutoff : float, default 1.4
        A1: bonded at t = 0 if ``r < A1 sigma_ab``.
    break_cutoff : float, default 1.8
        A2: a bond is intact at time t while ``r < A2 sigma_ab``.
    neighbors : NeighborList, optional
        Precomputed bonds at t = 0 (must use ``bond_cutoff``).

    Returns
    -------
    ndarray of shape (n_times, N), in [0, 1]; 0 for particles without bonds.

    Examples
    --------
    >>> import numpy as np
    >>> p0 = [[0.5, 0.5], [1.5, 0.5], [2.5, 0.5]]
    >>> p1 = [[0.5, 0.5], [1.5, 0.5], [4.0, 0.5]]
    >>> bond_breaking([p0, p1], [0, 0, 0], 10.0, [[1.0]])[1].tolist()
    [0.0, 0.5, 1.0]
    """
    pos = _as_trajectory(positions)
    box = _as_box(box)
    sigma = _as_sigma(sigma)
    n = pos.shape[1]
    species = _as_species(species, n, sigma)
    if not break_cutoff >= bond_cutoff:
        raise ValueError("break_cutoff (A2) must not be below bond_cutoff (A1)")
    if break_cutoff * sigma.max() >= box.min() / 2:
        raise ValueError("break_cutoff * sigma must be below half the box side")
    if neighbors is None:
        neighbors = cage_neighbors(pos[0], species, box, sigma, cutoff=bond_cutoff)
    elif neighbors.n_particles != n:
        raise ValueError("neighbour list does not match the number of particles")
    pairs = neighbors.pairs
    out = np.zeros((pos.shape[0], n))
    if pairs.shape[0] == 0:
        return out
    i, j = pairs[:, 0], pairs[:, 1]
    limit = break_cutoff * sigma[species[i], species[j]]
    d = _minimum_image(pos[:, j] - pos[:, i], box)
    intact = (np.hypot(d[..., 0], d[..., 1]) < limit).astype(np.float64)
    counts = neighbors.counts.astype(np.float64)
    for t in range(pos.shape[0]):
        kept = np.bincount(i, intact[t], minlength=n) + np.bincount(j, intact[t], minlength=n)
        out[t] = np.where(counts > 0, 1.0 - kept / np.maximum(counts, 1.0), 0.0)
    return out


# --------------------------------------------------------------------------- summary
@dataclass
class Relaxation:
    """Relaxation observables of one trajectory (see :func:`analyze_relaxation`).

    Attributes
    ----------
    times : ndarray of shape (n_lags,)
        Lags (time since the origin).
    k : ndarray of shape (n_k,)
        Wavevector moduli.
    msd, msd_cr : ndarray of shape (n_lags,)
        Mean squared displacement, plain and cage-relative.
    fs, fs_cr : ndarray of shape (n_k, n_lags)
        Self-intermediate scattering function, plain and cage-relative.
    alpha2, alpha2_cr : ndarray of shape (n_lags,)
        Non-Gaussian parameter, plain and cage-relative.
    tau, tau_cr : ndarray of shape (n_k,)
        ``tau_alpha`` from ``fs`` and ``fs_cr`` (NaN where F_s never reaches 1/e).

    Examples
    --------
    Free diffusion of 40 particles with steps of 0.5 relaxes within a few steps:

    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> pos = rng.uniform(0, 8, (40, 2)) + np.cumsum(rng.normal(0, 0.5, (6, 40, 2)), axis=0)
    >>> res = analyze_relaxation(np.arange(6.0), pos, np.zeros(40, int), 8.0, [[1.0]])
    >>> isinstance(res, Relaxation), res.fs.shape, bool(np.all(res.msd[1:] > 0))
    (True, (1, 6), True)
    >>> sorted(res.summary())[:2]
    ['alpha2_cr_max', 'alpha2_cr_max_time']
    >>> bool(0 < res.summary()["tau_k6.283"] < 5)
    True
    """

    times: np.ndarray
    k: np.ndarray
    msd: np.ndarray
    msd_cr: np.ndarray
    fs: np.ndarray  # (len(k), n_times)
    fs_cr: np.ndarray
    alpha2: np.ndarray
    alpha2_cr: np.ndarray
    tau: np.ndarray  # (len(k),) from plain F_s
    tau_cr: np.ndarray  # (len(k),) from F_s^CR

    def summary(self) -> dict:
        """JSON-friendly dict of the scalar results."""
        out = {}
        for kk, t, tc in zip(self.k, self.tau, self.tau_cr, strict=True):
            out[f"tau_k{kk:.4g}"] = float(t)
            out[f"tau_cr_k{kk:.4g}"] = float(tc)
        i, icr = int(np.argmax(self.alpha2)), int(np.argmax(self.alpha2_cr))
        out.update(
            alpha2_max=float(self.alpha2[i]),
            alpha2_max_time=float(self.times[i]),
            alpha2_cr_max=float(self.alpha2_cr[icr]),
            alpha2_cr_max_time=float(self.times[icr]),
        )
        return out


def analyze_relaxation(
    times,
    positions,
    species,
    box,
    sigma,
    *,
    k=2 * np.pi,
    cutoff: float = CAGE_CUTOFF,
    origins=None,
    lags=None,
) -> Relaxation:
    """MSD, F_s, F_s^CR, alpha2 and tau_alpha of an unwrapped trajectory.

    With one time origin (default) frame 0 is the reference and the lags are
    ``times - times[0]``. With ``origins`` and ``lags``, every origin ``t0`` and lag ``t``
    uses the frames at ``t0`` and ``t0 + t`` (both must be among ``times``); neighbours,
    drift and displacements are taken per origin and the moments ``<dr^2>``, ``<dr^4>`` and
    ``F`` are averaged over origins before alpha2 and tau are formed (as the C reference
    ``dyn2d`` does). Averaging over origins cuts the noise of tau a lot.

    Parameters
    ----------
    times : array of shape (n_times,)
        Sample times (e.g. sweeps) of the frames.
    positions : array of shape (n_times, N, 2)
        Unwrapped positions.
    species, box, sigma
        As for :func:`cage_neighbors`; neighbours come from each origin's frame.
    k : float or sequence of float, default 2 pi
        Wavevector moduli.
    cutoff : float, default 1.4
        Cage-neighbour cutoff in units of sigma_ab.
    origins, lags : arrays, optional
        Time origins and lags (lags should start with 0), in the units of ``times``.

    Returns
    -------
    Relaxation
        ``times`` holds the lags.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(9.0)
    >>> x0 = rng.uniform(0, 10, (50, 2))
    >>> pos = x0 + np.cumsum(rng.normal(0, 0.2, (9, 50, 2)), axis=0)
    >>> res = analyze_relaxation(t, pos, np.zeros(50, int), 10.0, [[1.0]],
    ...                          origins=[0, 2, 4], lags=[0, 1, 2, 4])
    >>> res.fs.shape, res.times.tolist()
    ((1, 4), [0.0, 1.0, 2.0, 4.0])
    """
    pos = _as_trajectory(positions)
    t = np.asarray(times, dtype=np.float64)
    if t.shape != (pos.shape[0],):
        raise ValueError(f"times has shape {t.shape}, positions have {pos.shape[0]} frames")
    ks = np.atleast_1d(np.asarray(k, dtype=np.float64))
    if (origins is None) != (lags is None):
        raise ValueError("give both origins and lags, or neither")
    if origins is None:
        frames = [np.arange(t.size)]
        lag_t = t - t[0]
    else:
        origins = np.atleast_1d(np.asarray(origins, dtype=np.float64))
        lag_t = np.atleast_1d(np.asarray(lags, dtype=np.float64))
        if origins.size == 0 or lag_t.size == 0:
            raise ValueError("origins and lags must not be empty")
        if lag_t[0] != 0 or np.any(np.diff(lag_t) <= 0):
            raise ValueError("lags must start at 0 and increase strictly")
        order = np.argsort(t)
        frames = []
        for t0 in origins:
            want = t0 + lag_t
            j = np.searchsorted(t[order], want)
            j = np.minimum(j, t.size - 1)
            found = order[j]
            if not np.array_equal(t[found], want):
                missing = want[t[found] != want][0]
                raise ValueError(f"no frame at time {missing:g} (origin {t0:g}) in times")
            frames.append(found)
    n_o = len(frames)
    m2 = np.zeros(lag_t.size)
    m4 = np.zeros(lag_t.size)
    m2c = np.zeros(lag_t.size)
    m4c = np.zeros(lag_t.size)
    fs = np.zeros((ks.size, lag_t.size))
    fs_cr = np.zeros((ks.size, lag_t.size))
    for idx in frames:
        p = pos[idx]
        nl = cage_neighbors(p[0], species, box, sigma, cutoff=cutoff)
        dr = displacements(p)
        dr_cr = cage_relative_displacements(dr, nl)
        for d, a2, a4, f in ((dr, m2, m4, fs), (dr_cr, m2c, m4c, fs_cr)):
            r2 = np.einsum("tnd,tnd->tn", d, d)
            a2 += r2.mean(axis=1) / n_o
            a4 += (r2 * r2).mean(axis=1) / n_o
            f += np.array([j0(kk * np.sqrt(r2)).mean(axis=1) for kk in ks]) / n_o

    def _alpha2(a2, a4):
        out = np.zeros_like(a2)
        ok = a2 > 0
        out[ok] = a4[ok] / (2.0 * a2[ok] ** 2) - 1.0
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("always", RuntimeWarning)
        tau = np.array([relaxation_time(lag_t, f) for f in fs])
        tau_cr = np.array([relaxation_time(lag_t, f) for f in fs_cr])
    return Relaxation(
        times=lag_t,
        k=ks,
        msd=m2,
        msd_cr=m2c,
        fs=fs,
        fs_cr=fs_cr,
        alpha2=_alpha2(m2, m4),
        alpha2_cr=_alpha2(m2c, m4c),
        tau=tau,
        tau_cr=tau_cr,
    )
