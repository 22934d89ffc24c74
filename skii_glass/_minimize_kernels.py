"""numba kernels of the FIRE energy minimisation (private; see :mod:`skii_glass.inherent`).

The neighbour machinery is the Monte Carlo engine's (:mod:`skii_glass._mc_kernels`):
Verlet lists with a skin, built through cell lists from reference positions in the box,
whose packed entries carry the pair type and the periodic image of each neighbour. Between
rebuilds positions move continuously (not wrapped), so the stored images stay valid; the
list is rebuilt as soon as a particle has moved more than skin / 2 from its reference,
which keeps every pair closer than the cutoff in the list.

The potential, as in the MC engine, is a function of ``u = (r / sigma_ab)^2``:
``V = 4 eps (c0 + c2 u + c4 u^2 + u^-6 - u^-3)`` for ``u < x_cut^2``, so
``dV/du = 4 eps (c2 + 2 c4 u + 3 u^-4 - 6 u^-7)`` and the force on ``i`` from ``j`` is
``F_i = 2 (dV/du) d / sigma_ab^2`` with ``d = r_j - r_i``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._mc_kernels import (
    _IX_SHIFT,
    _IY_SHIFT,
    _J_MASK,
    _P_SHIFT,
    _v,
    _wrap_and_reset_reference,
    build_neighbor_list,
)

# status codes returned by fire_minimize
CONVERGED, NOT_CONVERGED, NOT_FINITE = 0, 1, 2


@njit(cache=True)
def energy_forces(pos, ent, nn, lx, ly, is2, eps4, xc2, c0, c2, c4, forces):
    """Total energy (each pair once) and the forces, written into ``forces``, from a list.

    Each row of the (full) list gives the force on its own particle, so no two rows write
    the same entry; the energy sums every pair from both sides and halves.
    """
    n = pos.shape[0]
    e_tot = 0.0
    for i in range(n):
        fx = 0.0
        fy = 0.0
        e = 0.0
        xi = pos[i, 0]
        yi = pos[i, 1]
        for k in range(nn[i]):
            v = ent[i, k]
            j = v & _J_MASK
            p = (v >> _P_SHIFT) & 63
            dx = pos[j, 0] - (((v >> _IX_SHIFT) & 3) - 1) * lx - xi
            dy = pos[j, 1] - (((v >> _IY_SHIFT) & 3) - 1) * ly - yi
            u = (dx * dx + dy * dy) * is2[p]
            if u < xc2:
                q = 1.0 / u
                q3 = q * q * q
                e += eps4[p] * _v(u, c0, c2, c4)
                dvdu = eps4[p] * (c2 + 2.0 * c4 * u + q * q3 * (3.0 - 6.0 * q3))
                g = 2.0 * dvdu * is2[p]
                fx += g * dx
                fy += g * dy
        forces[i, 0] = fx
        forces[i, 1] = fy
        e_tot += e
    return 0.5 * e_tot


@njit(cache=True)
def energy_forces_at(pos, species, lx, ly, is2, eps4, rc2, n_species, xc2, c0, c2, c4):
    """Energy and forces of positions in the box (a fresh list without skin)."""
    ent, nn = build_neighbor_list(pos, species, lx, ly, rc2, n_species, 32)
    forces = np.empty_like(pos)
    e = energy_forces(pos, ent, nn, lx, ly, is2, eps4, xc2, c0, c2, c4, forces)
    return e, forces


@njit(cache=True)
def _max_force(forces):
    """Largest per-particle force norm |F_i| (NaN propagates)."""
    m2 = 0.0
    for i in range(forces.shape[0]):
        f2 = forces[i, 0] * forces[i, 0] + forces[i, 1] * forces[i, 1]
        if not f2 <= m2:  # also catches NaN
            m2 = f2
    return np.sqrt(m2)


@njit(cache=True, nogil=True)
def fire_minimize(pos, species, lx, ly, is2, eps4, rl2, n_species, xc2, c0, c2, c4,
                  half_skin2, fmax, max_steps, dt0, dt_max, max_move, n_min, f_inc, f_dec,
                  alpha0, f_alpha):
    """FIRE (Bitzek et al., PRL 97, 170201, 2006) on ``pos`` (in the box), in place.

    Unit masses; semi-implicit Euler MD steps; after each force evaluation the power
    ``P = F . v`` decides: ``P > 0``: mix ``v <- (1 - a) v + a |v| F / |F|`` and, after
    ``n_min`` such steps in a row, grow ``dt`` (up to ``dt_max``) and shrink ``a``;
    ``P <= 0``: stop (``v = 0``), halve ``dt``, reset ``a``. No particle moves more than
    ``max_move`` in one step. Converged when the largest per-particle force norm is
    below ``fmax``. On return ``pos`` is folded into the box.

    Returns ``(status, n_steps, energy, max_force, n_rebuilds)``.
    """
    n = pos.shape[0]
    img = np.zeros((n, 2), dtype=np.int64)
    ref = pos.copy()
    _wrap_and_reset_reference(pos, ref, img, lx, ly)
    ent, nn = build_neighbor_list(ref, species, lx, ly, rl2, n_species, 32)
    forces = np.empty_like(pos)
    vel = np.zeros_like(pos)
    e = energy_forces(pos, ent, nn, lx, ly, is2, eps4, xc2, c0, c2, c4, forces)
    dt = dt0
    alpha = alpha0
    n_pos = 0
    rebuilds = 0
    status = NOT_CONVERGED
    step = 0
    fm = _max_force(forces)
    max_move2 = max_move * max_move
    while True:
        if not np.isfinite(fm) or not np.isfinite(e):
            status = NOT_FINITE
            break
        if fm < fmax:
            status = CONVERGED
            break
        if step >= max_steps:
            break
        p = 0.0
        v2 = 0.0
        f2 = 0.0
        for i in range(n):
            p += forces[i, 0] * vel[i, 0] + forces[i, 1] * vel[i, 1]
            v2 += vel[i, 0] * vel[i, 0] + vel[i, 1] * vel[i, 1]
            f2 += forces[i, 0] * forces[i, 0] + forces[i, 1] * forces[i, 1]
        if p > 0.0:
            mix = alpha * np.sqrt(v2 / f2)
            for i in range(n):
                vel[i, 0] = (1.0 - alpha) * vel[i, 0] + mix * forces[i, 0]
                vel[i, 1] = (1.0 - alpha) * vel[i, 1] + mix * forces[i, 1]
            n_pos += 1
            if n_pos > n_min:
                dt = min(dt * f_inc, dt_max)
                alpha *= f_alpha
        else:
            vel[:, :] = 0.0
            dt *= f_dec
            alpha = alpha0
            n_pos = 0
        need_rebuild = False
        for i in range(n):
            vx = vel[i, 0] + dt * forces[i, 0]
            vy = vel[i, 1] + dt * forces[i, 1]
            dx = dt * vx
            dy = dt * vy
            d2 = dx * dx + dy * dy
            if d2 > max_move2:
                # Cap the step (and the velocity with it): a far-from-minimum start
                # must not throw particles through each other.
                s = max_move / np.sqrt(d2)
                dx *= s
                dy *= s
                vx *= s
                vy *= s
            vel[i, 0] = vx
            vel[i, 1] = vy
            pos[i, 0] += dx
            pos[i, 1] += dy
            rx = pos[i, 0] - ref[i, 0]
            ry = pos[i, 1] - ref[i, 1]
            if rx * rx + ry * ry > half_skin2:
                need_rebuild = True
        if need_rebuild:
            _wrap_and_reset_reference(pos, ref, img, lx, ly)
            ent, nn = build_neighbor_list(ref, species, lx, ly, rl2, n_species,
                                          ent.shape[1])
            rebuilds += 1
        e = energy_forces(pos, ent, nn, lx, ly, is2, eps4, xc2, c0, c2, c4, forces)
        fm = _max_force(forces)
        step += 1
    _wrap_and_reset_reference(pos, ref, img, lx, ly)
    return status, step, e, fm, rebuilds
