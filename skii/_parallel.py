"""Two levels of parallelism without oversubscription, shared by skii and skii_glass.

joblib spreads independent tasks (groups, configurations, trajectories, folds) over
workers, and every worker runs its numba kernels on ``cores // workers`` threads. The
same code scales out with ``joblib.parallel_config(backend="dask")``.
"""

from __future__ import annotations

import os

from joblib import effective_n_jobs

__all__ = ["n_workers", "threads_per_worker", "call_with_threads"]


def n_workers(n_jobs, n_tasks: int | None = None) -> int:
    """joblib workers that ``n_jobs`` asks for (None and 1 mean in-process), at most one
    per task."""
    workers = 1 if n_jobs in (None, 1) else max(1, effective_n_jobs(n_jobs))
    return workers if n_tasks is None else max(1, min(workers, n_tasks))


def threads_per_worker(workers: int) -> int:
    """numba threads for each of ``workers`` joblib workers: cores // workers."""
    import numba

    cores = os.cpu_count() or 1
    return max(1, min(numba.config.NUMBA_NUM_THREADS, cores // max(1, workers)))


def call_with_threads(n_threads: int | None, func, *args, **kwargs):
    """Run ``func`` with numba limited to ``n_threads`` threads, then restore the count
    (the setting is per thread, so this is safe under joblib's threading backend)."""
    import numba

    if n_threads is None:
        return func(*args, **kwargs)
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n_threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        return func(*args, **kwargs)
    finally:
        numba.set_num_threads(previous)
