"""Periodic neighbour search in a rectangular 2D box (cell lists, numba).

:func:`neighbor_list` finds every pair ``(i, j)``, ``j != i``, whose minimum-image
distance is strictly below ``r_max`` and returns it as a CSR-like :class:`NeighborList`:
the neighbours of ``i`` are ``indices[offsets[i]:offsets[i + 1]]``. Each unordered pair
appears twice (once in each row), with ``vectors = r_j - r_i`` (minimum image).

The search uses a cell list with cells at least ``r_max`` wide (cost O(N) at fixed
density, never all pairs) and is parallel over particles. It requires
``r_max <= min(Lx, Ly) / 2``, so that at most one periodic image of a particle lies
within ``r_max`` and the minimum image is the only one that counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _descriptor_kernels as _k

__all__ = ["NeighborList", "neighbor_list", "cell_list", "check_positions_box"]


@dataclass(frozen=True, eq=False)
class NeighborList:
    """Neighbour pairs in CSR layout.

    Attributes
    ----------
    offsets : int64 array of shape (N + 1,)
        Row ``i`` spans ``offsets[i]:offsets[i + 1]``.
    indices : int64 array of shape (n_pairs,)
        Neighbour ``j`` of each pair.
    distances : float64 array of shape (n_pairs,)
        Minimum-image distance ``|r_j - r_i|``.
    vectors : float64 array of shape (n_pairs, 2) or (0, 2)
        Minimum-image ``r_j - r_i``; empty when built with ``vectors=False``.
    r_max : float
        The (strict) search radius.

    Examples
    --------
    >>> nl = neighbor_list([[0.5, 0.5], [1.5, 0.5], [5.0, 5.0]], box=10.0, r_max=1.2)
    >>> nl.n_particles, nl.n_pairs, nl.counts.tolist()
    (3, 2, [1, 1, 0])
    >>> nl.query_indices.tolist(), nl.indices.tolist(), nl.distances.tolist()
    ([0, 1], [1, 0], [1.0, 1.0])
    """

    offsets: np.ndarray
    indices: np.ndarray
    distances: np.ndarray
    vectors: np.ndarray
    r_max: float

    @property
    def n_particles(self) -> int:
        return self.offsets.shape[0] - 1

    @property
    def n_pairs(self) -> int:
        """Number of (ordered) pairs: twice the number of unordered pairs."""
        return self.indices.shape[0]

    @property
    def counts(self) -> np.ndarray:
        """Number of neighbours of each particle."""
        return np.diff(self.offsets)

    @property
    def query_indices(self) -> np.ndarray:
        """The ``i`` of each pair (row index repeated), shape (n_pairs,)."""
        return np.repeat(np.arange(self.n_particles), self.counts)


def check_positions_box(positions, box) -> tuple[np.ndarray, np.ndarray]:
    """Validate and convert ``positions`` (N, 2) and ``box`` (scalar or (2,)).

    Positions are wrapped into ``[0, Lx) x [0, Ly)`` (periodic images are the same
    state). NaN/inf, wrong shapes, an empty array or a non-positive box raise
    ``ValueError``.

    Parameters
    ----------
    positions : array_like of shape (N, 2)
        Coordinates, in the box or not.
    box : float or array_like of shape (2,)
        Box sides ``(Lx, Ly)``.

    Returns
    -------
    positions : float64 array of shape (N, 2)
        Wrapped, C-contiguous copy.
    box : float64 array of shape (2,)

    Examples
    --------
    >>> pos, box = check_positions_box([[-0.5, 1.0], [3.0, 12.5]], 10.0)
    >>> pos.tolist(), box.tolist()
    ([[9.5, 1.0], [3.0, 2.5]], [10.0, 10.0])
    >>> check_positions_box([[float("nan"), 0.0]], 10.0)
    Traceback (most recent call last):
    ...
    ValueError: positions contain NaN or infinite values
    """
    pos = np.asarray(positions, dtype=np.float64)
    if pos.ndim != 2 or pos.shape[1] != 2:
        raise ValueError(f"positions must have shape (N, 2), got {pos.shape}")
    if pos.shape[0] == 0:
        raise ValueError("positions are empty: need at least one particle")
    if not np.all(np.isfinite(pos)):
        raise ValueError("positions contain NaN or infinite values")
    box_arr = np.broadcast_to(np.asarray(box, dtype=np.float64), (2,)).copy()
    if not np.all(np.isfinite(box_arr)) or np.any(box_arr <= 0):
        raise ValueError(f"box sides must be positive and finite, got {box_arr}")
    pos = np.mod(pos, box_arr)
    pos[pos >= box_arr] = 0.0  # np.mod can return box itself for tiny negative inputs
    return np.ascontiguousarray(pos), box_arr


def cell_list(positions: np.ndarray, box: np.ndarray, r_max: float) -> tuple:
    """Cell list with cells at least ``r_max`` wide, for the numba kernels.

    ``positions`` (wrapped, float64, C-contiguous) and ``box`` as returned by
    :func:`check_positions_box`. Returns ``(ncx, ncy, cell_of, cell_start,
    cell_particles)``: the particles of cell ``c = cx * ncy + cy`` are
    ``cell_particles[cell_start[c]:cell_start[c + 1]]``.

    Parameters
    ----------
    positions : float64 array of shape (N, 2)
        Wrapped positions.
    box : float64 array of shape (2,)
        Box sides.
    r_max : float
        Smallest cell side.

    Returns
    -------
    ncx, ncy : int
        Number of cells along x and y.
    cell_of : int64 array of shape (N,)
        Cell of each particle.
    cell_start : int64 array of shape (ncx * ncy + 1,)
        Offsets into ``cell_particles``.
    cell_particles : int64 array of shape (N,)
        Particle indices grouped by cell.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pos, box = check_positions_box(rng.uniform(0, 10, (64, 2)), 10.0)
    >>> ncx, ncy, cell_of, cell_start, cell_particles = cell_list(pos, box, 2.5)
    >>> ncx, ncy, cell_start.shape
    (4, 4, (17,))
    >>> c = cell_of[0]
    >>> 0 in cell_particles[cell_start[c]:cell_start[c + 1]]
    True
    >>> bool(np.array_equal(np.sort(cell_particles), np.arange(64)))
    True
    """
    ncx, ncy = _k._cell_grid(box, float(r_max), positions.shape[0])
    cell_of, cell_start, cell_particles = _k.build_cells(positions, box, ncx, ncy)
    return ncx, ncy, cell_of, cell_start, cell_particles


def neighbor_list(positions, box, r_max: float, *, vectors: bool = True) -> NeighborList:
    """All pairs closer than ``r_max`` (strictly) in a periodic rectangular box.

    Parameters
    ----------
    positions : array of shape (N, 2)
        Coordinates; wrapped into the box first.
    box : float or array of shape (2,)
        Box sides ``(Lx, Ly)``.
    r_max : float
        Search radius, ``0 < r_max <= min(Lx, Ly) / 2``.
    vectors : bool, default True
        Also store the pair vectors (set False to save memory on long lists).

    Returns
    -------
    NeighborList

    Examples
    --------
    >>> nl = neighbor_list([[0.5, 0.5], [9.5, 0.5], [5.0, 5.0]], box=10.0, r_max=1.5)
    >>> nl.counts.tolist(), nl.indices.tolist(), nl.vectors[0].tolist()
    ([1, 1, 0], [1, 0], [-1.0, 0.0])
    """
    pos, box_arr = check_positions_box(positions, box)
    r_max = float(r_max)
    if not (np.isfinite(r_max) and r_max > 0):
        raise ValueError(f"r_max must be positive and finite, got {r_max}")
    half = 0.5 * float(box_arr.min())
    if r_max > half:
        raise ValueError(
            f"search radius {r_max:g} exceeds half the shorter box side ({half:g}); "
            "the minimum-image convention would miss periodic images"
        )
    ncx, ncy, cell_of, cell_start, cell_particles = cell_list(pos, box_arr, r_max)
    counts = _k.count_neighbors(pos, box_arr, r_max, ncx, ncy, cell_of, cell_start,
                                cell_particles)
    n = pos.shape[0]
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    indices, distances, vecs = _k.fill_neighbors(
        pos, box_arr, r_max, ncx, ncy, cell_of, cell_start, cell_particles, offsets,
        bool(vectors),
    )
    return NeighborList(offsets, indices, distances, vecs, r_max)
