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
def build_neighbor_list(ref, species, lx, ly, rl2, n_species):
    """Verlet list of all pairs with minimum-image distance^2 < ``rl2[a, b]``.

    Uses cell lists when at least 3 cells fit per side, otherwise all pairs. Returns
    ``(nbr, shx, shy, nn)``: ``nbr[i, :nn[i]]`` are the neighbours of ``i`` and
    ``(shx, shy)[i, k]`` the periodic shift to subtract from entry ``k``'s coordinates to
    get its image nearest to ``i``. The order of the entries
    depends only on ``ref`` and ``species`` (cells are filled in particle order), which is
    what makes resumed runs bit-identical. Requires ``max(r_list) <= min(lx, ly) / 2``.
    """
    n = ref.shape[0]
    rlmax2 = 0.0
    for p in range(rl2.shape[0]):
        if rl2[p] > rlmax2:
            rlmax2 = rl2[p]
    rlmax = np.sqrt(rlmax2)
    mx = int(lx / rlmax)
    my = int(ly / rlmax)
    ilx = 1.0 / lx
    ily = 1.0 / ly
    use_cells = mx >= 3 and my >= 3
    if not use_cells:
        mx = 1
        my = 1
    ncell = mx * my
    cell_of = np.empty(n, dtype=np.int64)
    count = np.zeros(ncell + 1, dtype=np.int64)
    for i in range(n):
        xw = ref[i, 0] - lx * np.floor(ref[i, 0] * ilx)
        yw = ref[i, 1] - ly * np.floor(ref[i, 1] * ily)
        cx = int(xw * mx * ilx)
        cy = int(yw * my * ily)
        if cx >= mx:
            cx = mx - 1
        if cy >= my:
            cy = my - 1
        c = cy * mx + cx
        cell_of[i] = c
        count[c + 1] += 1
    start = np.zeros(ncell + 1, dtype=np.int64)
    for c in range(ncell):
        start[c + 1] = start[c] + count[c + 1]
    fill = start[:-1].copy()
    members = np.empty(n, dtype=np.int64)
    for i in range(n):  # particle order within each cell: deterministic
        c = cell_of[i]
        members[fill[c]] = i
        fill[c] += 1
    nn = np.zeros(n, dtype=np.int64)
    nbr = np.empty((n, 1), dtype=np.int32)
    shx = np.empty((n, 1))
    shy = np.empty((n, 1))
    cap = 0
    nq = 3 if use_cells else 1
    for npass in range(2):  # pass 0 counts, pass 1 fills a list of exactly that width
        if npass == 1:
            cap = 0
            for i in range(n):
                if nn[i] > cap:
                    cap = nn[i]
            nbr = np.empty((n, max(cap, 1)), dtype=np.int32)
            shx = np.empty((n, max(cap, 1)))
            shy = np.empty((n, max(cap, 1)))
        for i in range(n):
            xi = ref[i, 0]
            yi = ref[i, 1]
            base = species[i] * n_species
            c = cell_of[i]
            cx = c % mx
            cy = c // mx
            k = 0
            for qy in range(nq):
                for qx in range(nq):
                    if use_cells:
                        ux = (cx + qx - 1 + mx) % mx
                        uy = (cy + qy - 1 + my) % my
                        c2 = uy * mx + ux
                    else:
                        c2 = 0
                    for m in range(start[c2], start[c2 + 1]):
                        j = members[m]
                        if j == i:
                            continue
                        dx = ref[j, 0] - xi
                        sx = lx * np.rint(dx * ilx)
                        dx -= sx
                        dy = ref[j, 1] - yi
                        sy = ly * np.rint(dy * ily)
                        dy -= sy
                        if dx * dx + dy * dy < rl2[base + species[j]]:
                            if npass == 1:
                                nbr[i, k] = j
                                shx[i, k] = sx
                                shy[i, k] = sy
                            k += 1
            nn[i] = k
    return nbr, shx, shy, nn


# ---------------------------------------------------------------- energies
@njit(cache=True, inline="always")
def _v(u, c0, c2, c4):
    """Pair energy / (4 eps) as a function of u = (r / sigma)^2 (inside the cutoff)."""
    q = 1.0 / u
    q3 = q * q * q
    return c0 + u * (c2 + c4 * u) + q3 * (q3 - 1.0)


@njit(cache=True)
def particle_energies_from_list(pos, species, lx, ly, nbr, nn, is2, eps4, n_species, xc2,
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
            j = nbr[i, k]
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
    nbr, _, _, nn = build_neighbor_list(pos, species, lx, ly, rc2, n_species)
    return particle_energies_from_list(pos, species, lx, ly, nbr, nn, is2, eps4, n_species,
                                       xc2, c0, c2, c4)


@njit(cache=True)
def closest_pair(pos, species, lx, ly, thr2, n_species, sig2):
    """The pair with the smallest r^2 / sigma_ab^2 among pairs with r^2 < thr2[a, b].

    Returns ``(i, j, r)`` or ``(-1, -1, inf)`` when no pair is that close.
    """
    nbr, _, _, nn = build_neighbor_list(pos, species, lx, ly, thr2, n_species)
    ilx = 1.0 / lx
    ily = 1.0 / ly
    best = np.inf
    bi = -1
    bj = -1
    br = np.inf
    for i in range(pos.shape[0]):
        for k in range(nn[i]):
            j = nbr[i, k]
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


_FAST = {"reassoc", "contract", "arcp", "nsz"}


@njit(cache=True, fastmath=_FAST)
def _local_two(i, a, xo, yo, xn, yn, pos, species, nbr, shx, shy, nn, is2, eps4, n_species,
               xc2, c0, c2, c4):
    """Energy of particle ``i`` (species ``a``) with its list at (xo, yo) and at (xn, yn).

    ``shx, shy`` hold the periodic image shift of each list entry (fixed between rebuilds
    because positions are unwrapped), so no rounding is needed here. The loop body is
    branch-free (cutoff as a mask, one division for both positions) so that LLVM
    vectorises it with gathers; ``reassoc`` allows the vector sum (deterministic for a
    given list, so resumed runs stay bit-identical).
    """
    eo = 0.0
    en = 0.0
    base = a * n_species
    for k in range(nn[i]):
        j = nbr[i, k]
        p = base + species[j]
        s = is2[p]
        e = eps4[p]
        xj = pos[j, 0] - shx[i, k]
        yj = pos[j, 1] - shy[i, k]
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
def _local_species(i, a, b, skip, pos, species, nbr, nn, is2, eps4, n_species, lx, ly, ilx,
                   ily, xc2, c0, c2, c4):
    """Energy of particle ``i`` as species ``a`` and as species ``b``, leaving out ``skip``."""
    ea = 0.0
    eb = 0.0
    xi = pos[i, 0]
    yi = pos[i, 1]
    for k in range(nn[i]):
        j = nbr[i, k]
        if j == skip:
            continue
        dx = pos[j, 0] - xi
        dx -= lx * np.rint(dx * ilx)
        dy = pos[j, 1] - yi
        dy -= ly * np.rint(dy * ily)
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


# ---------------------------------------------------------------- the Monte Carlo loop
@njit(cache=True, nogil=True)
def mc_sweeps(pos, ref, species, lx, ly, is2, eps4, rl2, n_species, xc2, c0, c2, c4, beta,
              delta, half_skin2, swap_probability, n_sweeps, sweep0, sample_times, samples,
              energies, rng, energy, counters):
    """Run ``n_sweeps`` sweeps of N trial moves, in place.

    ``pos`` (unwrapped), ``ref`` (list reference positions), ``species``, ``rng``,
    ``energy`` (1-element running total) and ``counters`` are updated in place. After sweep
    ``sweep0 + s + 1`` completes, ``energies[sweep0 + s] = E / N`` and, if that sweep number
    is ``sample_times[counters[C_SAMPLE]]``, the positions are copied into
    ``samples[counters[C_SAMPLE]]``.

    A trial is a species swap with probability ``swap_probability`` (two particles drawn
    uniformly; different species are exchanged with Metropolis acceptance; the proposal is
    symmetric, so detailed balance holds), otherwise a displacement of one random particle
    uniformly in ``[-delta/2, delta/2]^2`` with acceptance ``min(1, exp(-beta dE))``.
    """
    n = pos.shape[0]
    ilx = 1.0 / lx
    ily = 1.0 / ly
    nbr, shx, shy, nn = build_neighbor_list(ref, species, lx, ly, rl2, n_species)
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
                eia, eib = _local_species(i, a, b, j, pos, species, nbr, nn, is2, eps4,
                                          n_species, lx, ly, ilx, ily, xc2, c0, c2, c4)
                ejb, eja = _local_species(j, b, a, i, pos, species, nbr, nn, is2, eps4,
                                          n_species, lx, ly, ilx, ily, xc2, c0, c2, c4)
                de = (eib - eia) + (eja - ejb)
                if de <= 0.0 or rng_uniform(rng) < np.exp(-beta * de):
                    species[i] = b
                    species[j] = a
                    e_tot += de
                    sacc += 1
                continue
            i = rng_below(rng, n)
            xo = pos[i, 0]
            yo = pos[i, 1]
            xn = xo + delta * (rng_uniform(rng) - 0.5)
            yn = yo + delta * (rng_uniform(rng) - 0.5)
            tried += 1
            dxr = xn - ref[i, 0]
            dyr = yn - ref[i, 1]
            if dxr * dxr + dyr * dyr > half_skin2:
                # The trial position may see pairs outside the list: rebuild around the
                # current positions (rare: once per many sweeps).
                ref[:, :] = pos
                nbr, shx, shy, nn = build_neighbor_list(ref, species, lx, ly, rl2,
                                                        n_species)
                rebuilds += 1
            eo, en = _local_two(i, species[i], xo, yo, xn, yn, pos, species, nbr, shx, shy,
                                nn, is2, eps4, n_species, xc2, c0, c2, c4)
            de = en - eo
            if de <= 0.0 or rng_uniform(rng) < np.exp(-beta * de):
                pos[i, 0] = xn
                pos[i, 1] = yn
                e_tot += de
                acc += 1
        t = sweep0 + sw + 1
        energies[t - 1] = e_tot / n
        while isamp < n_samp and sample_times[isamp] == t:
            samples[isamp, :, :] = pos
            isamp += 1
    energy[0] = e_tot
    counters[C_ACC] = acc
    counters[C_TRIED] = tried
    counters[C_SWAP_ACC] = sacc
    counters[C_SWAP_TRIED] = stried
    counters[C_REBUILDS] = rebuilds
    counters[C_SAMPLE] = isamp
