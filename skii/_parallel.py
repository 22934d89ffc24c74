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
    per task.

    Parameters
    ----------
    n_jobs : int or None
        As for joblib; negative values count back from the number of cores.
    n_tasks : int, optional
        Number of independent tasks; caps the worker count.

    Returns
    -------
    int
        At least 1.

    Examples
    --------
    >>> n_workers(None), n_workers(1), n_workers(4, n_tasks=2)
    (1, 1, 2)
    """
    workers = 1 if n_jobs in (None, 1) else max(1, effective_n_jobs(n_jobs))
    return workers if n_tasks is None else max(1, min(workers, n_tasks))


def threads_per_worker(workers: int) -> int:
    """numba threads for each of ``workers`` joblib workers: cores // workers.

    Parameters
    ----------
    workers : int
        Number of joblib workers sharing the machine.

    Returns
    -------
    int
        At least 1 and at most numba's thread count.

    Examples
    --------
    >>> import os
    >>> import numba
    >>> 1 <= threads_per_worker(1) <= min(os.cpu_count(), numba.config.NUMBA_NUM_THREADS)
    True
    >>> threads_per_worker(10_000)
    1
    """
    import numba

    cores = os.cpu_count() or 1
    return max(1, min(numba.config.NUMBA_NUM_THREADS, cores // max(1, workers)))


def call_with_threads(n_threads: int | None, func, *args, **kwargs):
    """Run ``func`` with numba limited to ``n_threads`` threads, then restore the count
    (the setting is per thread, so this is safe under joblib's threading backend).

    Parameters
    ----------
    n_threads : int or None
        numba threads for the call; None leaves the current setting.
    func : callable
        Called as ``func(*args, **kwargs)``.

    Returns
    -------
    object
        What ``func`` returns.

    Examples
    --------
    >>> import numba
    >>> before = numba.get_num_threads()
    >>> call_with_threads(1, numba.get_num_threads)
    1
    >>> numba.get_num_threads() == before
    True
    """
    import numba

    if n_threads is None:
        return func(*args, **kwargs)
    previous = numba.get_num_threads()
    numba.set_num_threads(max(1, min(int(n_threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        return func(*args, **kwargs)
    finally:
        numba.set_num_threads(previous)
