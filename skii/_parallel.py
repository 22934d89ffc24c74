"""Two levels of parallelism without oversubscription, shared by skii and skii_glass.

joblib spreads independent tasks (groups, configurations, trajectories, folds) over
workers, and every worker runs its numba kernels on ``cores // workers`` threads (numba's
own, or :func:`run_row_chunks` for row kernels compiled without parfors). The same code
scales out with ``joblib.parallel_config(backend="dask")``.
"""

from __future__ import annotations

import os

from joblib import effective_n_jobs

__all__ = ["n_workers", "threads_per_worker", "call_with_threads", "run_row_chunks"]


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


_POOLS: dict = {}


def run_row_chunks(func, n_rows: int, *args) -> None:
    """Run ``func(lo, hi, *args)`` over ``n_rows`` rows in chunks, on numba's current
    thread count (:func:`numba.get_num_threads`, which :func:`call_with_threads` sets).

    For row kernels compiled ``@njit(nogil=True, error_model="numpy")`` without
    ``parallel=True`` (the numpy error model is the one a parfor body had: a float
    division by zero gives inf, not ZeroDivisionError): Python threads run the chunks
    (each allocates its own scratch and writes its own rows), so no parfor needs
    compiling (8 s of the first compilation of the pruned path kernel). Four chunks per
    thread, handed out as threads free up.

    Parameters
    ----------
    func : numba dispatcher
        Called as ``func(lo, hi, *args)`` for consecutive row ranges covering
        ``range(n_rows)``.
    n_rows : int
        Number of rows.
    *args
        Passed on unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> out = np.zeros(10)
    >>> def fill(lo, hi, a):
    ...     a[lo:hi] = np.arange(lo, hi)
    >>> run_row_chunks(fill, 10, out)
    >>> out.tolist() == list(range(10))
    True
    """
    import numba

    threads = max(1, numba.get_num_threads())
    n_chunks = max(1, min(4 * threads, n_rows))
    size = -(-n_rows // n_chunks)
    bounds = [(lo, min(n_rows, lo + size)) for lo in range(0, n_rows, size)]
    if threads == 1 or len(bounds) == 1:
        for lo, hi in bounds:
            func(lo, hi, *args)
        return
    from concurrent.futures import ThreadPoolExecutor

    # Keyed by process too: a forked child inherits the dict but not the pool's threads.
    key = (os.getpid(), threads)
    pool = _POOLS.get(key)
    if pool is None:
        pool = _POOLS[key] = ThreadPoolExecutor(threads, thread_name_prefix="skii-rows")
    for fut in [pool.submit(func, lo, hi, *args) for lo, hi in bounds]:
        fut.result()
