"""Unsupervised leave-one-configuration-out greedy paths on the bundled glass dataset.

    python benchmarks/bench_loco_glass.py [--steps 15] [--no-brute-force]

The Fig. 7 selection of ``skii_glass.study`` (10 configurations of 1290 particles, the 60
descriptors z-scored within each configuration, ``skii.leave_one_group_out_paths`` in
unsupervised mode), timed with the pruned kernel and with the brute-force kernel it
replaced (``skii._imbalance._PRUNED = False``) in the same run; prints the load average.
"""

from __future__ import annotations

import argparse
import os
import time

import skii
from skii_glass.datasets import load_propensity
from skii_glass.study import as_study_table, zscore_per_group


def emit(name, value, unit):
    print(f"{name} {value:.4g} {unit}", flush=True)


def timed(X, groups, steps):
    w, c = time.perf_counter(), time.process_time()
    paths = skii.leave_one_group_out_paths(X, groups=groups, mode="unsupervised",
                                           n_features_to_select=steps)
    return time.perf_counter() - w, time.process_time() - c, paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--no-brute-force", action="store_true")
    args = ap.parse_args()
    import numba

    emit("numba_threads", numba.get_num_threads(), "count")
    st = as_study_table(load_propensity().table())
    X = zscore_per_group(st.X, st.groups)
    skii.leave_one_group_out_paths(X[:, :4], groups=st.groups, mode="unsupervised",
                                   n_features_to_select=2)  # compile outside the timings
    tag = f"loco_unsup_{args.steps}of{X.shape[1]}_{len(set(st.groups))}groups_N{len(X)}"
    emit(f"{tag}_load_average_1min", os.getloadavg()[0], "-")
    t, cpu, paths = timed(X, st.groups, args.steps)
    emit(f"{tag}_skii", t, "s")
    emit(f"{tag}_skii_cpu", cpu, "s")
    if not args.no_brute_force:
        skii._imbalance._PRUNED = False
        t_bf, cpu_bf, paths_bf = timed(X, st.groups, args.steps)
        skii._imbalance._PRUNED = True
        emit(f"{tag}_brute_force", t_bf, "s")
        emit(f"{tag}_brute_force_cpu", cpu_bf, "s")
        emit(f"{tag}_brute_force_over_skii_cpu", cpu_bf / cpu, "x")
        emit(f"{tag}_same_paths_as_brute_force", float(paths.equals(paths_bf)), "bool")
    emit(f"{tag}_load_average_1min_end", os.getloadavg()[0], "-")


if __name__ == "__main__":
    main()
