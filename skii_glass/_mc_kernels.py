"""numba kernels of the Metropolis Monte Carlo engine (private; see :mod:`skii_glass.simulation`).

Design (why it looks like this):

* **Random numbers**: xoshiro256** on an explicit ``uint64[4]`` state array that the caller
  owns, so a checkpoint stores it and a resumed run continues the very same stream. numba's
  global ``np.random`` cannot be saved.
* **Verlet lists with a skin** built through cell lists. Positions are kept *unwrapped*
  (continuous across the periodic boundary; the minimum image is taken per pair) so the
  trajectory needs no unwrapping afterwards. The list is rebuilt from the reference
  positions ``ref`` as soon as a trial position leaves the disc of radius skin/2 around its
  reference, which guarantees that every pair closer than the cutoff is in the list.
* **Bit-identical resume**: the list is a deterministic function of ``ref`` (and of the
  species), and every kernel call starts by rebuilding it from ``ref``. So splitting a run
  into several calls (checkpoints, progress updates) gives exactly the same floating-point
  history as one call.
* Pair tables are flat ``n_species**2`` arrays indexed ``a * n_species + b``:
  ``is2 = 1 / sigma_ab^2``, ``eps4 = 4 eps_ab``, ``rl2 = (r_list,ab)^2``. The potential is a
  function of ``u = (r / sigma_ab)^2``: ``V = 4 eps (x^-12 - x^-6 + C0 + C2 x^2 + C4 x^4)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# counters layout (int64 array shared with the Python side and the checkpoints)
C_ACC, C_TRIED, C_SWAP_ACC, C_SWAP_TRIED, C_REBUILDS, C_SAMPLE = range(6)
N_COUNTERS = 6

_INV_2_53 = 1.0 / 9007199254740992.0


# ---------------------------------------------------------------- random numbers
@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << np.uint64(k)) | (x >> np.uint64(64 - k))


@njit(cache=True, inline="always")
def rng_next(s):
    """xoshiro256** step on the state array ``s`` (uint64[4]); returns a uint64."""
    s0 = s[0]
    s1 = s[1]
    s2 = s[2]
    s3 = s[3]
    result = _rotl(s1 * np.uint64(5), 7) * np.uint64(9)
    t = s1 << np.uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    s[0] = s0
    s[1] = s1
    s[2] = s2
    s[3] = s3
    return result


@njit(cache=True, inline="always")
def rng_uniform(s):
    """Uniform double in [0, 1) from the top 53 bits."""
    return float(rng_next(s) >> np.uint64(11)) * _INV_2_53


@njit(cache=True, inline="always")
def rng_below(s, n):
    """Integer in [0, n) for n < 2**32 (Lemire's multiply-shift, bias < n / 2**32)."""
    return np.int64(((rng_next(s) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(cache=True)
def rng_draw(s, n):
    """``n`` raw uint64 outputs (test helper: compare with the reference algorithm)."""
    out = np.empty(n, dtype=np.uint64)
    for k in range(n):
        out[k] = rng_next(s)
    return out


# ---------------------------------------------------------------- neighbour lists
@njit(cache=True)
def _cell_lists(ref, lx, ly, rlmax):
    """Counting sort of the (wrapped) reference positions into cells of side >= rlmax.

    Returns ``(mx, my, start, members)``; ``mx = my = 1`` (one cell, all pairs) when fewer
    than 3 cells fit per side. Particles appear in index order within each cell.
    """
    n = ref.shape[0]
    mx = int(lx / rlmax)
    my = int(ly / rlmax)
    if mx < 3 or my < 3:
        mx = 1
        my = 1
    ilx = 1.0 / lx
    ily = 1.0 / ly
    ncell = mx * my
    cell_of = np.empty(n, dtype=np.int64)
    start = np.zeros(ncell + 1, dtype=np.int64)
    for i in range(n):
        xw = ref[i, 0] - lx * np.floor(ref[i, 0] * ilx)
        yw = ref[i, 1] - ly * np.floor(ref[i, 1] * ily)
        cx = min(int(xw * mx * ilx), mx - 1)
        cy = min(int(yw * my * ily), my - 1)
        c = cy * mx + cx
        cell_of[i] = c
        start[c + 1] += 1
    for c in range(ncell):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    members = np.empty(n, dtype=np.int64)
    for i in range(n):
        c = cell_of[i]
        members[fill[c]] = i
        fill[c] += 1
    return mx, my, start, members


# Half stencil: each unordered pair of neighbouring cells is visited once (the cell itself,
# then E, NE, N, NW). With >= 3 cells per side all nine neighbours are distinct, so every
# pair of particles in neighbouring cells is met exactly once.
_STENCIL_X = np.array([0, 1, 1, 0, -1])
_STENCIL_Y = np.array([0, 0, 1, 1, 1])


# A list entry packs the neighbour index (bits 0-19), the pair type p = a * n_species + b
# (bits 20-25) and the periodic image codes ix + 1, iy + 1 in {0, 1, 2} (bits 26-27, 28-29)
# into one int32: a row of ~35 entries is two cache lines, which keeps N = 4000 in cache.
J_BITS = 20
MAX_PARTICLES = 1 << J_BITS
MAX_PAIR_TYPES = 64
_J_MASK = (1 << J_BITS) - 1
_P_SHIFT = 20
_P_CLEAR = ~(63 << 20)
_IX_SHIFT = 26
_IY_SHIFT = 28


@njit(cache=True)
def build_neighbor_list(ref, species, lx, ly, rl2, n_species, cap):
    """Verlet list of all pairs with minimum-image distance^2 < ``rl2[a * n_species + b]``.

    Cell lists with a half stencil (each pair computed once, entered in both rows); all
    pairs when fewer than 3 cells fit per side. ``ref`` must lie in the box. Returns
    ``(ent, nn)``: ``ent[i, :nn[i]]`` are packed entries (see :func:`unpack`): neighbour
    ``j``, pair type ``species[i] * n_species + species[j]`` and the image ``(ix, iy)`` of
    ``j`` nearest to ``i``, i.e. ``ref[j] - (ix lx, iy ly)``. ``cap`` is the initial row
    width (grown as needed). The order of the entries depends only on ``ref`` and
    ``species`` -- what makes resumed runs bit-identical. Requires
    ``max(r_list) <= min(lx, ly) / 2``.
    """
    n = ref.shape[0]
    rlmax2 = 0.0
    for p in range(rl2.shape[0]):
        rlmax2 = max(rlmax2, rl2[p])
    mx, my, start, members = _cell_lists(ref, lx, ly, np.sqrt(rlmax2))
    ilx = 1.0 / lx
    ily = 1.0 / ly
    n_stencil = 5 if mx > 1 else 1
    cap = max(int(cap), 1)
    while True:
        ent = np.empty((n, cap), dtype=np.int32)
        nn = np.zeros(n, dtype=np.int64)
        for cy in range(my):
            for cx in range(mx):
                c = cy * mx + cx
                for q in range(n_stencil):
                    ux = (cx + _STENCIL_X[q] + mx) % mx
                    uy = (cy + _STENCIL_Y[q] + my) % my
                    c2 = uy * mx + ux
                    for m in range(start[c], start[c + 1]):
                        i = members[m]
                        xi = ref[i, 0]
                        yi = ref[i, 1]
                        si = species[i]
                        m2_first = m + 1 if q == 0 else start[c2]
                        for m2 in range(m2_first, start[c2 + 1]):
                            j = members[m2]
                            sj = species[j]
                            dx = ref[j, 0] - xi
                            ix = np.rint(dx * ilx)
                            dx -= lx * ix
                            dy = ref[j, 1] - yi
                            iy = np.rint(dy * ily)
                            dy -= ly * iy
                            if dx * dx + dy * dy < rl2[si * n_species + sj]:
                                ki = nn[i]
                                kj = nn[j]
                                if ki < cap and kj < cap:
                                    cix = int(ix) + 1
                                    ciy = int(iy) + 1
                                    ent[i, ki] = (j | ((si * n_species + sj) << _P_SHIFT)
                                                  | (cix << _IX_SHIFT) | (ciy << _IY_SHIFT))
                                    ent[j, kj] = (i | ((sj * n_species + si) << _P_SHIFT)
                                                  | ((2 - cix) << _IX_SHIFT)
                                                  | ((2 - ciy) << _IY_SHIFT))
                                # count anyway: on overflow the exact width is known
                                nn[i] = ki + 1
                                nn[j] = kj + 1
        need = 0
        for i in range(n):
            need = max(need, nn[i])
        if need <= cap:
            return ent, nn
        cap = need  # rows overflowed: redo with the exact width (same entries, same order)


@njit(cache=True, inline="always")
def unpack(v):
    """``(j, p, ix, iy)`` of a packed list entry."""
    return (v & _J_MASK, (v >> _P_SHIFT) & 63, ((v >> _IX_SHIFT) & 3) - 1,
            ((v >> _IY_SHIFT) & 3) - 1)


@njit(cache=True)
def update_pair_types(i, species, ent, nn, n_species):
    """Refresh the pair types stored for particle ``i`` after its species changed (its own
    row and its entry in each neighbour's row)."""
    si = species[i]
    for k in range(nn[i]):
        v = ent[i, k]
        j = v & _J_MASK
        sj = species[j]
        ent[i, k] = (v & _P_CLEAR) | ((si * n_species + sj) << _P_SHIFT)
        for m in range(nn[j]):
            w = ent[j, m]
            if (w & _J_MASK) == i:
                ent[j, m] = (w & _P_CLEAR) | ((sj * n_species + si) << _P_SHIFT)
                break


# ---------------------------------------------------------------- energies
@njit(cache=True, inline="always")
def _v(u, c0, c2, c4):
    """Pair energy / (4 eps) as a function of u = (r / sigma)^2 (inside the cutoff)."""
    q = 1.0 / u
    q3 = q * q * q
    return c0 + u * (c2 + c4 * u) + q3 * (q3 - 1.0)


@njit(cache=True)
def particle_energies_from_list(pos, species, lx, ly, ent, nn, is2, eps4, n_species, xc2,
                                c0, c2, c4):
    """u_i = sum_j V(r_ij) over the list (each pair counted for both partners)."""
    n = pos.shape[0]
    ilx = 1.0 / lx
    ily = 1.0 / ly
    out = np.zeros(n)
    for i in range(n):
        base = species[i] * n_species
        e = 0.0
        for k in range(nn[i]):
            j = ent[i, k] & _J_MASK
            p = base + species[j]
            dx = pos[j, 0] - pos[i, 0]
            dx -= lx * np.rint(dx * ilx)
            dy = pos[j, 1] - pos[i, 1]
            dy -= ly * np.rint(dy * ily)
            u = (dx * dx + dy * dy) * is2[p]
            if u < xc2:
                e += eps4[p] * _v(u, c0, c2, c4)
        out[i] = e
    return out


@njit(cache=True)
def particle_energies(pos, species, lx, ly, is2, eps4, rc2, n_species, xc2, c0, c2, c4):
    """Per-particle energies u_i (O(N) through cell lists, no skin)."""
    ent, nn = build_neighbor_list(pos, species, lx, ly, rc2, n_species, 32)
    return particle_energies_from_list(pos, species, lx, ly, ent, nn, is2, eps4, n_species,
                                       xc2, c0, c2, c4)


@njit(cache=True)
def closest_pair(pos, species, lx, ly, thr2, n_species, sig2):
    """The pair with the smallest r^2 / sigma_ab^2 among pairs with r^2 < thr2[a, b].

    Returns ``(i, j, r)`` or ``(-1, -1, inf)`` when no pair is that close.
    """
    ent, nn = build_neighbor_list(pos, species, lx, ly, thr2, n_species, 8)
    ilx = 1.0 / lx
    ily = 1.0 / ly
    best = np.inf
    bi = -1
    bj = -1
    br = np.inf
    for i in range(pos.shape[0]):
        for k in range(nn[i]):
            j = ent[i, k] & _J_MASK
            dx = pos[j, 0] - pos[i, 0]
            dx -= lx * np.rint(dx * ilx)
            dy = pos[j, 1] - pos[i, 1]
            dy -= ly * np.rint(dy * ily)
            r2 = dx * dx + dy * dy
            x = r2 / sig2[species[i] * n_species + species[j]]
            if x < best:
                best = x
                bi = min(i, j)
                bj = max(i, j)
                br = np.sqrt(r2)
    return bi, bj, br


# reassoc lets LLVM vectorise the neighbour sums; error_model="numpy" drops the Python
# zero-division check on 1/u, which otherwise blocks vectorisation (2x slower). Division
# by zero cannot happen: overlapping starts are refused and the energy barrier keeps
# particles apart. The local-energy helpers are inlined at the numba IR level into
# mc_sweeps (which carries the same flags): as separate functions, a fresh compilation and
# a cache load produced differently vectorised sums (last-bit differences), which would
# break bit-identical reproducibility.
_FAST = {"reassoc", "contract", "arcp", "nsz"}


@njit(cache=True, inline="always", fastmath=_FAST, error_model="numpy")
def _local_two(i, xo, yo, xn, yn, pos, ent, nn, lx, ly, is2, eps4, xc2, c0, c2, c4):
    """Energy of particle ``i`` with its list at (xo, yo) and at (xn, yn).

    The packed entries carry the periodic image and the pair type, valid until the next
    rebuild (positions are not wrapped in between). The loop body is branch-free (cutoff
    as a mask, one division for both positions) so that LLVM vectorises it; ``reassoc``
    allows the vector sum (deterministic for a given list, so resumed runs stay
    bit-identical).
    """
    eo = 0.0
    en = 0.0
    for k in range(nn[i]):
        v = ent[i, k]
        j = v & _J_MASK
        p = (v >> _P_SHIFT) & 63
        s = is2[p]
        e = eps4[p]
        xj = pos[j, 0] - (((v >> _IX_SHIFT) & 3) - 1) * lx
        yj = pos[j, 1] - (((v >> _IY_SHIFT) & 3) - 1) * ly
        dx = xj - xo
        dy = yj - yo
        uo = (dx * dx + dy * dy) * s
        dx = xj - xn
        dy = yj - yn
        un = (dx * dx + dy * dy) * s
        w = 1.0 / (uo * un)
        qo = un * w
        qn = uo * w
        qo3 = qo * qo * qo
        qn3 = qn * qn * qn
        vo = e * (c0 + uo * (c2 + c4 * uo) + qo3 * (qo3 - 1.0))
        vn = e * (c0 + un * (c2 + c4 * un) + qn3 * (qn3 - 1.0))
        eo += vo if uo < xc2 else 0.0
        en += vn if un < xc2 else 0.0
    return eo, en


@njit(cache=True, inline="always")
def _local_species(i, a, b, skip, pos, species, ent, nn, is2, eps4, n_species, lx, ly, xc2,
                   c0, c2, c4):
    """Energy of particle ``i`` as species ``a`` and as species ``b``, leaving out ``skip``."""
    ea = 0.0
    eb = 0.0
    xi = pos[i, 0]
    yi = pos[i, 1]
    for k in range(nn[i]):
        j, _, ix, iy = unpack(ent[i, k])
        if j == skip:
            continue
        dx = pos[j, 0] - ix * lx - xi
        dy = pos[j, 1] - iy * ly - yi
        r2 = dx * dx + dy * dy
        pa = a * n_species + species[j]
        pb = b * n_species + species[j]
        ua = r2 * is2[pa]
        ub = r2 * is2[pb]
        if ua < xc2:
            ea += eps4[pa] * _v(ua, c0, c2, c4)
        if ub < xc2:
            eb += eps4[pb] * _v(ub, c0, c2, c4)
    return ea, eb


@njit(cache=True)
def _wrap_and_reset_reference(pos, ref, img, lx, ly):
    """Fold positions into the box (counting the images in ``img``) and make them the new
    list reference. Only at list (re)builds, so list images stay valid in between."""
    for m in range(pos.shape[0]):
        fx = np.floor(pos[m, 0] / lx)
        if fx != 0.0:
            pos[m, 0] -= fx * lx
            img[m, 0] += int(fx)
        fy = np.floor(pos[m, 1] / ly)
        if fy != 0.0:
            pos[m, 1] -= fy * ly
            img[m, 1] += int(fy)
        ref[m, 0] = pos[m, 0]
        ref[m, 1] = pos[m, 1]


# ---------------------------------------------------------------- the Monte Carlo loop
@njit(cache=True, nogil=True, fastmath=_FAST, error_model="numpy")
def mc_sweeps(pos, ref, img, species, lx, ly, is2, eps4, rl2, n_species, xc2, c0, c2, c4,
              beta, delta, half_skin2, swap_probability, cap, n_sweeps, sweep0, sample_times,
              samples, energies, rng, energy, counters):
    """Run ``n_sweeps`` sweeps of N trial moves, in place.

    ``pos`` (folded into the box at each list rebuild, continuous in between), ``img``
    (periodic images crossed: the unwrapped position is ``pos + img * (lx, ly)``), ``ref``
    (list reference positions, in the box), ``species``, ``rng``, ``energy`` (1-element
    running total) and ``counters`` are updated in place. After sweep ``sweep0 + s + 1``
    completes, ``energies[sweep0 + s] = E / N`` and, if that sweep number is
    ``sample_times[counters[C_SAMPLE]]``, the unwrapped positions are stored in
    ``samples[counters[C_SAMPLE]]``.

    A trial is a species swap with probability ``swap_probability`` (two particles drawn
    uniformly; different species are exchanged with Metropolis acceptance; the proposal is
    symmetric, so detailed balance holds), otherwise a displacement of one random particle
    uniformly in ``[-delta/2, delta/2]^2`` with acceptance ``min(1, exp(-beta dE))``.
    """
    n = pos.shape[0]
    ent, nn = build_neighbor_list(ref, species, lx, ly, rl2, n_species, cap)
    e_tot = energy[0]
    acc = counters[C_ACC]
    tried = counters[C_TRIED]
    sacc = counters[C_SWAP_ACC]
    stried = counters[C_SWAP_TRIED]
    rebuilds = counters[C_REBUILDS]
    isamp = counters[C_SAMPLE]
    n_samp = sample_times.shape[0]
    do_swap = swap_probability > 0.0
    for sw in range(n_sweeps):
        for _ in range(n):
            if do_swap and rng_uniform(rng) < swap_probability:
                i = rng_below(rng, n)
                j = rng_below(rng, n)
                stried += 1
                a = species[i]
                b = species[j]
                if a == b:
                    continue
                # The i-j pair keeps its energy (V_ab = V_ba), so it is left out of both.
                eia, eib = _local_species(i, a, b, j, pos, species, ent, nn, is2, eps4,
                                          n_species, lx, ly, xc2, c0, c2, c4)
                ejb, eja = _local_species(j, b, a, i, pos, species, ent, nn, is2, eps4,
                                          n_species, lx, ly, xc2, c0, c2, c4)
                de = (eib - eia) + (eja - ejb)
                if de <= 0.0 or rng_uniform(rng) < np.exp(-beta * de):
                    species[i] = b
                    species[j] = a
                    update_pair_types(i, species, ent, nn, n_species)
                    update_pair_types(j, species, ent, nn, n_species)
                    e_tot += de
                    sacc += 1
                continue
            i = rng_below(rng, n)
            ddx = delta * (rng_uniform(rng) - 0.5)
            ddy = delta * (rng_uniform(rng) - 0.5)
            tried += 1
            xo = pos[i, 0]
            yo = pos[i, 1]
            xn = xo + ddx
            yn = yo + ddy
            dxr = xn - ref[i, 0]
            dyr = yn - ref[i, 1]
            if dxr * dxr + dyr * dyr > half_skin2:
                # The trial position may see pairs outside the list: rebuild around the
                # current positions (rare: once per many sweeps).
                _wrap_and_reset_reference(pos, ref, img, lx, ly)
                ent, nn = build_neighbor_list(ref, species, lx, ly, rl2, n_species,
                                              ent.shape[1])
                rebuilds += 1
                xo = pos[i, 0]
                yo = pos[i, 1]
                xn = xo + ddx
                yn = yo + ddy
            eo, en = _local_two(i, xo, yo, xn, yn, pos, ent, nn, lx, ly, is2, eps4, xc2, c0,
                                c2, c4)
            de = en - eo
            if de <= 0.0 or rng_uniform(rng) < np.exp(-beta * de):
                pos[i, 0] = xn
                pos[i, 1] = yn
                e_tot += de
                acc += 1
        t = sweep0 + sw + 1
        energies[t - 1] = e_tot / n
        while isamp < n_samp and sample_times[isamp] == t:
            for m in range(n):
                samples[isamp, m, 0] = pos[m, 0] + img[m, 0] * lx
                samples[isamp, m, 1] = pos[m, 1] + img[m, 1] * ly
            isamp += 1
    energy[0] = e_tot
    counters[C_ACC] = acc
    counters[C_TRIED] = tried
    counters[C_SWAP_ACC] = sacc
    counters[C_SWAP_TRIED] = stried
    counters[C_REBUILDS] = rebuilds
    counters[C_SAMPLE] = isamp
