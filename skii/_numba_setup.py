"""Import before compiling parallel numba kernels.

* Selects a thread-safe threading layer (omp or tbb, never workqueue), so kernels may be
  called from several threads at once (joblib's threading backend, Dask workers).
* Makes idle OpenMP threads sleep instead of spinning (``OMP_WAIT_POLICY=passive`` unless
  the user set it): on a shared or oversubscribed machine spinning threads stall every
  parallel region for whole scheduler slices.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402  (after the environment is set)

if numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = "threadsafe"
