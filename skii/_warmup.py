"""Compile the numba kernels of the imbalance paths ahead of their first use.

The kernels are cached on disk (``cache=True``), so a process that finds them there loads
them in a fraction of a second instead of compiling them (tens of seconds on a first run
after installation). ``python -m skii._warmup [supervised] [unsupervised]`` compiles, on
a tiny problem, every kernel that the single-feature imbalances, greedy paths and
leave-one-group-out paths of a 1-D target need in the given modes (default both), with
groups: the kernels of the glass study. The two modes share few kernels, so
``skii-glass reproduce`` runs one process per mode while the main process computes
structural descriptors; on a cold cache the compilations then overlap with other work
instead of delaying the analyses. (Imbalances between multi-feature spaces use the
brute-force rows, which the study does not need; they compile at their first use.)
"""

from __future__ import annotations

import sys

import numpy as np

MODES = ("supervised", "unsupervised")


def compile_kernels(modes: tuple[str, ...] = MODES) -> None:
    """Run every path kernel of ``modes`` once on a tiny problem (compiling it, or loading
    it from the on-disk cache). Kernels compile per argument type, so these calls pass the
    same types (float64 arrays, int64 priorities) as every real call."""
    from ._imbalance import imbalance_path, information_imbalances
    from ._shared_paths import leave_one_group_out_paths

    unknown = set(modes) - set(MODES)
    if unknown:
        raise ValueError(f"unknown modes {sorted(unknown)}; expected some of {MODES}")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 4))
    y = X[:, 0] + 0.1 * rng.normal(size=48)
    groups = np.repeat([0, 1, 2], 16)
    for mode in modes:
        if mode == "supervised":
            information_imbalances(X[:, :1], y)  # one feature: the sorted-walk route
        # Three steps reach every branch that depends on |S| (0, 1, and 2 or more).
        imbalance_path(X, y, mode=mode, groups=groups, n_features_to_select=3)
        leave_one_group_out_paths(X, y, mode=mode, groups=groups, n_features_to_select=3)
        if mode == "unsupervised":
            # Ties at the k-th full-X distance (the unsupervised kernel's second pass).
            imbalance_path(np.round(X), mode="unsupervised", n_features_to_select=1)


if __name__ == "__main__":
    compile_kernels(tuple(sys.argv[1:]) or MODES)
