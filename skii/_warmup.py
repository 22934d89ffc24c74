"""Compile the numba kernels of the imbalance paths ahead of their first use.

The kernels are cached on disk (``cache=True``), so a process that finds them there loads
them in a fraction of a second instead of compiling them (tens of seconds on a first run
after installation). ``python -m skii._warmup`` compiles, on a tiny problem, every kernel
that the imbalances, greedy paths and leave-one-group-out paths of a 1-D target need (both
modes, with groups). ``skii-glass reproduce`` runs it in a second process while the first
computes structural descriptors, so that on a cold cache the compilation overlaps with
other work instead of delaying the analyses.
"""

from __future__ import annotations

import numpy as np


def compile_kernels() -> None:
    """Run every path kernel once on a tiny problem (compiling it, or loading it from the
    on-disk cache). Kernels compile per argument type, so these calls pass the same types
    (float64 arrays, int64 priorities) as every real call."""
    from ._imbalance import imbalance_path, information_imbalances
    from ._shared_paths import leave_one_group_out_paths

    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 4))
    y = X[:, 0] + 0.1 * rng.normal(size=48)
    groups = np.repeat([0, 1, 2], 16)
    information_imbalances(X[:, :1], y)  # one feature: the sorted-walk route
    information_imbalances(X, y)  # several features: the brute-force rows
    for mode in ("supervised", "unsupervised"):
        # Three steps reach every branch that depends on |S| (0, 1, and 2 or more).
        imbalance_path(X, y, mode=mode, groups=groups, n_features_to_select=3)
        leave_one_group_out_paths(X, y, mode=mode, groups=groups, n_features_to_select=3)
    # Ties at the k-th full-X distance (the unsupervised kernel's second neighbour pass).
    imbalance_path(np.round(X), mode="unsupervised", n_features_to_select=1)


if __name__ == "__main__":
    compile_kernels()
