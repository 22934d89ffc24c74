"""numba kernels behind :mod:`skii_glass.neighbors` and :mod:`skii_glass.descriptors`.

Private: no validation here. The public modules check shapes, dtypes, finiteness and the
minimum-image condition (every cutoff at most half the shorter box side) before calling.

All kernels take positions already wrapped into ``[0, Lx) x [0, Ly)`` (as
:class:`~skii_glass.configuration.Configuration` guarantees) and work in a periodic
rectangular box with the minimum-image convention.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from skii._parallel import run_row_chunks

from . import _numba_setup  # noqa: F401  (thread-safe threading layer before compiling)

# ----------------------------------------------------------------------------- cell lists


@njit(cache=True)
def _cell_grid(box, r_max, n_particles):
    """Cells per side: each cell at least ``r_max`` wide, and not (much) more cells than
    particles, so a tiny ``r_max`` in a large box does not allocate a huge empty grid."""
    ncx = max(1, int(np.floor(box[0] / r_max)))
    ncy = max(1, int(np.floor(box[1] / r_max)))
    # Fewer, larger cells stay correct (a cell only has to be >= r_max wide).
    while ncx * ncy > 4 * n_particles + 16 and (ncx > 3 or ncy > 3):
        if ncx >= ncy:
            ncx = max(3, ncx // 2)
        else:
            ncy = max(3, ncy // 2)
    return ncx, ncy


@njit(cache=True)
def build_cells(positions, box, ncx, ncy):
    """Counting sort of particles into a ``ncx x ncy`` grid.

    Returns ``cell_of`` (N,), ``cell_start`` (ncx*ncy + 1,) and ``cell_particles`` (N,):
    the particles of cell ``c`` are ``cell_particles[cell_start[c]:cell_start[c + 1]]``.
    """
    n = positions.shape[0]
    ncell = ncx * ncy
    cell_of = np.empty(n, dtype=np.int64)
    counts = np.zeros(ncell + 1, dtype=np.int64)
    for i in range(n):
        cx = int(positions[i, 0] / box[0] * ncx)
        cy = int(positions[i, 1] / box[1] * ncy)
        # Guard the upper edge against rounding (positions are < box, but x/L*nc can
        # round up to nc).
        cx = min(max(cx, 0), ncx - 1)
        cy = min(max(cy, 0), ncy - 1)
        c = cx * ncy + cy
        cell_of[i] = c
        counts[c + 1] += 1
    cell_start = np.cumsum(counts)
    fill = cell_start[:-1].copy()
    cell_particles = np.empty(n, dtype=np.int64)
    for i in range(n):
        c = cell_of[i]
        cell_particles[fill[c]] = i
        fill[c] += 1
    return cell_of, cell_start, cell_particles


@njit(cache=True)
def _stencil(nc):
    """Distinct neighbouring-cell offsets along one axis (no cell visited twice when
    there are fewer than 3 cells)."""
    if nc >= 3:
        return np.array([-1, 0, 1], dtype=np.int64)
    if nc == 2:
        return np.array([0, 1], dtype=np.int64)
    return np.array([0], dtype=np.int64)


@njit(cache=True)
def _min_image(d, length):
    # Positions are in [0, L), so one shift suffices.
    if d > 0.5 * length:
        return d - length
    if d < -0.5 * length:
        return d + length
    return d


@njit(nogil=True, cache=True, error_model="numpy")
def _count_neighbors_rows(
    lo, hi, positions, box, r_max, ncx, ncy, cell_of, cell_start, cell_particles, counts,
):
    """Number of ``j != i`` with minimum-image distance ``< r_max``, per particle.

    Particles lo:hi only, into the caller's outputs (threads run the ranges).
    """
    r2max = r_max * r_max
    sx = _stencil(ncx)
    sy = _stencil(ncy)
    for i in range(lo, hi):
        c = cell_of[i]
        cx = c // ncy
        cy = c % ncy
        xi = positions[i, 0]
        yi = positions[i, 1]
        k = 0
        for ox in sx:
            for oy in sy:
                cc = ((cx + ox) % ncx) * ncy + (cy + oy) % ncy
                for m in range(cell_start[cc], cell_start[cc + 1]):
                    j = cell_particles[m]
                    if j == i:
                        continue
                    dx = _min_image(positions[j, 0] - xi, box[0])
                    dy = _min_image(positions[j, 1] - yi, box[1])
                    if dx * dx + dy * dy < r2max:
                        k += 1
        counts[i] = k


def count_neighbors(positions, box, r_max, ncx, ncy, cell_of, cell_start, cell_particles):
    """:func:`_count_neighbors_rows` over every particle, on numba's thread count."""
    counts = np.zeros(positions.shape[0], dtype=np.int64)
    run_row_chunks(
        _count_neighbors_rows, positions.shape[0], positions, box, r_max, ncx, ncy, cell_of,
        cell_start, cell_particles, counts,
    )
    return counts


@njit(nogil=True, cache=True, error_model="numpy")
def _fill_neighbors_rows(
    lo, hi, positions, box, r_max, ncx, ncy, cell_of, cell_start, cell_particles, offsets,
    with_vectors, indices, distances, vectors,
):
    """Fill the CSR rows sized by :func:`count_neighbors`.

    Returns ``indices`` (n_pairs,), ``distances`` (n_pairs,) and ``vectors``
    (n_pairs, 2) holding ``r_j - r_i`` (minimum image), or an empty (0, 2) array when
    ``with_vectors`` is false (saves memory for long coarse-graining lists).

    Particles lo:hi only, into the caller's outputs (threads run the ranges).
    """
    r2max = r_max * r_max
    sx = _stencil(ncx)
    sy = _stencil(ncy)
    for i in range(lo, hi):
        c = cell_of[i]
        cx = c // ncy
        cy = c % ncy
        xi = positions[i, 0]
        yi = positions[i, 1]
        k = offsets[i]
        for ox in sx:
            for oy in sy:
                cc = ((cx + ox) % ncx) * ncy + (cy + oy) % ncy
                for m in range(cell_start[cc], cell_start[cc + 1]):
                    j = cell_particles[m]
                    if j == i:
                        continue
                    dx = _min_image(positions[j, 0] - xi, box[0])
                    dy = _min_image(positions[j, 1] - yi, box[1])
                    r2 = dx * dx + dy * dy
                    if r2 < r2max:
                        indices[k] = j
                        distances[k] = np.sqrt(r2)
                        if with_vectors:
                            vectors[k, 0] = dx
                            vectors[k, 1] = dy
                        k += 1


def fill_neighbors(
    positions, box, r_max, ncx, ncy, cell_of, cell_start, cell_particles, offsets, with_vectors
):
    """:func:`_fill_neighbors_rows` over every particle, on numba's thread count."""
    n_pairs = offsets[positions.shape[0]]
    indices = np.empty(n_pairs, dtype=np.int64)
    distances = np.empty(n_pairs, dtype=np.float64)
    vectors = np.empty((n_pairs if with_vectors else 0, 2), dtype=np.float64)
    run_row_chunks(
        _fill_neighbors_rows, positions.shape[0], positions, box, r_max, ncx, ncy, cell_of,
        cell_start, cell_particles, offsets, with_vectors, indices, distances, vectors,
    )
    return indices, distances, vectors


# ------------------------------------------------------------- per-particle descriptors


@njit(cache=True)
def _sort_by_angle(angles, order):
    """Insertion sort of ``order`` by ``angles[order]``: rows are short (~6 entries)."""
    for a in range(1, order.shape[0]):
        key = order[a]
        b = a - 1
        while b >= 0 and angles[order[b]] > angles[key]:
            order[b + 1] = order[b]
            b -= 1
        order[b + 1] = key


@njit(nogil=True, cache=True, error_model="numpy")
def _local_descriptors_rows(
    lo, hi, offsets, indices, distances, vectors, species, sigma, epsilon, x_cut, c0, c2, c4,
    nb_cutoff, u, z, psi6, theta,
):
    """Per-particle ``u``, ``z``, ``psi6`` and Tong-Tanaka ``theta``.

    ``u_i = sum_j V_ab(r_ij)`` over ``r_ij < x_cut * sigma_ab`` (smoothed LJ); ``z``,
    ``psi6`` and ``theta`` use the neighbours with ``r_ij < nb_cutoff[a, b]`` (absolute
    distances). The CSR rows must contain every pair within both cutoffs.

    Particles lo:hi only, into the caller's outputs (threads run the ranges).
    """
    two_pi = 2.0 * np.pi
    for i in range(lo, hi):
        a = species[i]
        start = offsets[i]
        stop = offsets[i + 1]
        # Neighbour angles and ids for psi6 / theta, gathered once.
        ang = np.empty(stop - start)
        nbr = np.empty(stop - start, dtype=np.int64)
        nn = 0
        ui = 0.0
        cs = 0.0
        sn = 0.0
        for k in range(start, stop):
            j = indices[k]
            b = species[j]
            r = distances[k]
            x = r / sigma[a, b]
            if x < x_cut:
                x2i = 1.0 / (x * x)
                x6i = x2i * x2i * x2i
                x2 = x * x
                ui += 4.0 * epsilon[a, b] * (x6i * x6i - x6i + c0 + c2 * x2 + c4 * x2 * x2)
            if r < nb_cutoff[a, b]:
                t = np.arctan2(vectors[k, 1], vectors[k, 0])
                cs += np.cos(6.0 * t)
                sn += np.sin(6.0 * t)
                ang[nn] = t
                nbr[nn] = j
                nn += 1
        u[i] = ui
        z[i] = nn
        if nn > 0:
            psi6[i] = np.sqrt(cs * cs + sn * sn) / nn
        if nn >= 2:
            order = np.arange(nn)
            _sort_by_angle(ang, order)
            acc = 0.0
            for m in range(nn):
                p = order[m]
                q = order[(m + 1) % nn]
                # Counter-clockwise angle from neighbour p to the next neighbour q.
                t1 = ang[q] - ang[p]
                if m == nn - 1:
                    t1 += two_pi
                j = nbr[p]
                kk = nbr[q]
                s_ij = sigma[a, species[j]]
                s_ik = sigma[a, species[kk]]
                s_jk = sigma[species[j], species[kk]]
                cosv = (s_ij * s_ij + s_ik * s_ik - s_jk * s_jk) / (2.0 * s_ij * s_ik)
                # Non-additive sigmas could in principle leave [-1, 1]; clamp.
                cosv = min(1.0, max(-1.0, cosv))
                acc += abs(t1 - np.arccos(cosv))
            theta[i] = acc / nn


def local_descriptors(
    offsets, indices, distances, vectors, species, sigma, epsilon, x_cut, c0, c2, c4, nb_cutoff
):
    """:func:`_local_descriptors_rows` over every particle, on numba's thread count."""
    n = offsets.shape[0] - 1
    u = np.zeros(n)
    z = np.zeros(n, dtype=np.int64)
    psi6 = np.zeros(n)
    theta = np.zeros(n)
    run_row_chunks(
        _local_descriptors_rows, n, offsets, indices, distances, vectors, species, sigma, epsilon,
        x_cut, c0, c2, c4, nb_cutoff, u, z, psi6, theta,
    )
    return u, z, psi6, theta


# --------------------------------------------------------------------- coarse-graining


@njit(nogil=True, cache=True, error_model="numpy")
def _coarse_sums_rows(
    lo, hi, positions, box, lengths, values, ncx, ncy, cell_of, cell_start, cell_particles, out,
):
    """Cumulative sums of ``values`` over the particles within each length, i included.

    ``lengths`` must be increasing, the cells at least ``lengths[-1]`` wide. Returns
    ``out`` of shape (N, n_lengths, n_values) with
    ``out[i, l, v] = values[i, v] + sum_{j != i, r_ij < lengths[l]} values[j, v]``.
    Works straight from the cell list (no stored pair list: at L = 5 a particle has ~90
    neighbours). Each pair is binned once, into the smallest length that contains it,
    and the bins are then accumulated: O(pairs + N * n_lengths * n_values).

    Particles lo:hi only, into the caller's outputs (threads run the ranges).
    """
    nl = lengths.shape[0]
    nv = values.shape[1]
    # Cheap rejection on squares, with a margin for rounding; the test is on r below.
    l2max = lengths[nl - 1] * lengths[nl - 1] * (1.0 + 1e-12)
    sx = _stencil(ncx)
    sy = _stencil(ncy)
    for i in range(lo, hi):
        c = cell_of[i]
        cx = c // ncy
        cy = c % ncy
        xi = positions[i, 0]
        yi = positions[i, 1]
        for ox in sx:
            for oy in sy:
                cc = ((cx + ox) % ncx) * ncy + (cy + oy) % ncy
                for m in range(cell_start[cc], cell_start[cc + 1]):
                    j = cell_particles[m]
                    if j == i:
                        continue
                    dx = _min_image(positions[j, 0] - xi, box[0])
                    dy = _min_image(positions[j, 1] - yi, box[1])
                    r2 = dx * dx + dy * dy
                    if not (r2 < l2max):
                        continue
                    # Compare distances (not squares) so that "r < L" means exactly what
                    # it means for the neighbour lists' distances.
                    r = np.sqrt(r2)
                    b = 0
                    while b < nl and not (r < lengths[b]):
                        b += 1
                    if b == nl:
                        continue
                    for v in range(nv):
                        out[i, b, v] += values[j, v]
        for v in range(nv):
            out[i, 0, v] += values[i, v]
        for b in range(1, nl):
            for v in range(nv):
                out[i, b, v] += out[i, b - 1, v]


def coarse_sums(positions, box, lengths, values, ncx, ncy, cell_of, cell_start, cell_particles):
    """:func:`_coarse_sums_rows` over every particle, on numba's thread count."""
    out = np.zeros((positions.shape[0], lengths.shape[0], values.shape[1]))
    run_row_chunks(
        _coarse_sums_rows, positions.shape[0], positions, box, lengths, values, ncx, ncy, cell_of,
        cell_start, cell_particles, out,
    )
    return out


@njit(cache=True)
def _segment(rad, x):
    """Area of the part of a disk of radius ``rad`` beyond a chord at signed distance ``x``
    from its centre (``-rad <= x <= rad``)."""
    c = min(1.0, max(-1.0, x / rad))
    return rad * rad * np.arccos(c) - x * np.sqrt(max(0.0, rad * rad - x * x))


@njit(cache=True)
def lens_area(big, rad, d):
    """Intersection area of two disks of radii ``big`` and ``rad`` whose centres are ``d``
    apart (exact: two circular segments on either side of the common chord)."""
    if d >= big + rad:
        return 0.0
    if d <= abs(big - rad):
        small = min(big, rad)
        return np.pi * small * small
    # Signed distances of the common chord from each centre.
    x_big = (d * d + big * big - rad * rad) / (2.0 * d)
    return _segment(big, x_big) + _segment(rad, d - x_big)


@njit(nogil=True, cache=True, error_model="numpy")
def _overlap_sums_rows(
    lo, hi, positions, box, lengths, radii, all_images, ncx, ncy, cell_of, cell_start,
    cell_particles, out,
):
    """Disk-overlap sums of every particle: ``out[i, l, 0]`` is the sum over j (i
    included) of the fraction of j's disk (radius ``radii[j]``) inside the circle of
    radius ``lengths[l]`` around i, ``out[i, l, 1]`` the sum of the areas.

    The cells must be at least ``lengths[-1] + radii.max()`` wide. When that reach exceeds
    half a box side, ``all_images`` must be true: a disk can then meet the circle through
    more than one periodic image, and the 9 images nearest to the minimum one are summed
    (exact while the reach is below 1.5 box sides).

    Particles lo:hi only, into the caller's outputs (threads run the ranges).
    """
    nl = lengths.shape[0]
    l_max = lengths[nl - 1]
    sx = _stencil(ncx)
    sy = _stencil(ncy)
    n_shift = 3 if all_images else 1
    for i in range(lo, hi):
        c = cell_of[i]
        cx = c // ncy
        cy = c % ncy
        xi = positions[i, 0]
        yi = positions[i, 1]
        full = np.zeros((nl, 2))
        for ox in sx:
            for oy in sy:
                cc = ((cx + ox) % ncx) * ncy + (cy + oy) % ncy
                for m in range(cell_start[cc], cell_start[cc + 1]):
                    j = cell_particles[m]
                    rad = radii[j]
                    disk = np.pi * rad * rad
                    reach = l_max + rad
                    dx0 = _min_image(positions[j, 0] - xi, box[0])
                    dy0 = _min_image(positions[j, 1] - yi, box[1])
                    for kx in range(n_shift):
                        for ky in range(n_shift):
                            dx = dx0 + (kx - 1) * box[0] if all_images else dx0
                            dy = dy0 + (ky - 1) * box[1] if all_images else dy0
                            d = np.sqrt(dx * dx + dy * dy)
                            if not (d < reach):
                                continue
                            # Lengths the disk misses add nothing; from the first length
                            # that holds it whole it adds 1 (binned once, accumulated
                            # below); only the few lengths that cut it need the lens area.
                            b = 0
                            while b < nl and d >= lengths[b] + rad:
                                b += 1
                            while b < nl and d > lengths[b] - rad:
                                a = lens_area(lengths[b], rad, d)
                                out[i, b, 0] += a / disk
                                out[i, b, 1] += a
                                b += 1
                            if b < nl:
                                full[b, 0] += 1.0
                                full[b, 1] += disk
        acc0 = 0.0
        acc1 = 0.0
        for b in range(nl):
            acc0 += full[b, 0]
            acc1 += full[b, 1]
            out[i, b, 0] += acc0
            out[i, b, 1] += acc1


def overlap_sums(
    positions, box, lengths, radii, all_images, ncx, ncy, cell_of, cell_start, cell_particles
):
    """:func:`_overlap_sums_rows` over every particle, on numba's thread count."""
    out = np.zeros((positions.shape[0], lengths.shape[0], 2))
    run_row_chunks(
        _overlap_sums_rows, positions.shape[0], positions, box, lengths, radii, all_images, ncx,
        ncy, cell_of, cell_start, cell_particles, out,
    )
    return out
