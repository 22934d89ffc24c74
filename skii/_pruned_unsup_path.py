"""One greedy forward step of the unsupervised path, pruned (exact).

Builds, once per group, what the full space contributes (each row's full-X neighbours
and, within a memory budget, every full-X rank) and turns the row contributions of
:func:`skii._pruned_unsup_kernels.unsup_forward_rows` into imbalances exactly as the
brute-force path does (``2 / N^2`` times the row sum, rows summed by numpy in row order).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import _pruned_unsup_kernels
from ._parallel import run_row_chunks
from ._pruned_path import _buffer_sizes, step_arrays

# Bytes of full-X rank matrices (float32, N^2 per group) kept over a whole path; groups
# beyond it recompute their full-X distance rows at every step (O(N) memory per thread).
RANK_CACHE_BYTES = 512 * 2**20


@dataclass
class FullSpace:
    """What the full X of one group contributes to every step."""

    xt: np.ndarray  # (n_features, n) the full X, transposed
    cached: bool
    rank: np.ndarray  # (n, n) float32 full-X ranks, or (1, 1) without the cache
    ptr: np.ndarray  # (n + 1,) CSR of each row's full-X neighbours
    idx: np.ndarray
    w: np.ndarray


def prepare_group(tt: np.ndarray, k: int, tie_random: bool, pt: np.ndarray,
                  cache: bool) -> FullSpace:
    """Full-X neighbours of every row of one group (``tt`` = its full X transposed), and
    with ``cache`` its (n, n) full-X rank matrix."""
    n = tt.shape[1]
    rank = np.empty((n, n) if cache else (1, 1), dtype=np.float32)
    nb_idx = np.empty((n, k), dtype=np.int64)
    nb_w = np.empty((n, k))
    s_cnt = np.empty(n, dtype=np.int64)
    run_row_chunks(
        _pruned_unsup_kernels.full_space_rows, n, tt, k, tie_random, pt, cache, rank, nb_idx,
        nb_w, s_cnt,
    )
    ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(s_cnt, out=ptr[1:])
    idx = np.empty(ptr[-1], dtype=np.int64)
    w = np.empty(ptr[-1])
    plain = np.flatnonzero(s_cnt == k)  # s >= k always; more only with ties at the k-th
    at = ptr[plain][:, None] + np.arange(k)
    idx[at] = nb_idx[plain]
    w[at] = nb_w[plain]
    tied = np.flatnonzero(s_cnt > k)
    if tied.size:
        run_row_chunks(
            _pruned_unsup_kernels.full_neighbour_rows, tied.size, tt, tied, k, tie_random, pt,
            ptr, idx, w,
        )
    return FullSpace(tt, cache, rank, ptr, idx, w)


def prepare_groups(tts, k: int, tie_random: bool, pts) -> list[FullSpace]:
    """:func:`prepare_group` for every group, caching ranks while the budget lasts."""
    out = []
    budget = RANK_CACHE_BYTES
    for tt, pt in zip(tts, pts, strict=True):
        need = 4 * tt.shape[1] ** 2
        cache = need <= budget
        budget -= need if cache else 0
        out.append(prepare_group(tt, k, tie_random, pt, cache))
    return out


def group_step(xg, full: FullSpace, selected, cand, k, tie_random, ps, pt, record,
               rows=False):
    """Delta(X_S+j -> X) and Delta(X -> X_S+j) for every candidate j in ``cand``, and with
    ``record`` (S not empty) ``(Delta(X_S -> X), Delta(X -> X_S))`` of S itself, for one
    group.

    Returns ``(d_fwd, d_bwd, d_sf, d_fs, counts)``, counts = (forward full scans,
    backward full passes); with ``rows`` also the per-row sums of the two recorded
    imbalances, ``(..., rec_sf, rec_fs)`` (for their standard errors).
    """
    n = xg.shape[0]
    st, ct, cr, (cs, co, cp), (ss, so, sp) = step_arrays(xg, selected, cand)
    record = record and len(selected) > 0
    fwd = np.empty((n, ct.shape[0]))
    bwd = np.empty((n, ct.shape[0]))
    rec_sf = np.empty(n)
    rec_fs = np.empty(n)
    counts = np.empty((n, 2), dtype=np.int64)
    run_row_chunks(
        _pruned_unsup_kernels.unsup_forward_rows, n, st, ct, cr, cs, co, cp, ss, so, sp, full.xt,
        full.cached, full.rank, full.ptr, full.idx, full.w, k, tie_random, ps, pt,
        *_buffer_sizes(n, k, len(selected)), record, fwd, bwd, rec_sf, rec_fs, counts,
    )  # fmt: skip
    scale = 2.0 / (n * n)
    d_fwd = scale * fwd.sum(axis=0)
    d_bwd = scale * bwd.sum(axis=0)
    if record:
        d_sf, d_fs = scale * float(rec_sf.sum()), scale * float(rec_fs.sum())
    else:
        d_sf = d_fs = math.nan
    counts = tuple(int(v) for v in counts.sum(axis=0))
    if rows:
        return d_fwd, d_bwd, d_sf, d_fs, counts, rec_sf, rec_fs
    return d_fwd, d_bwd, d_sf, d_fs, counts
