"""Import before compiling parallel numba kernels: selects a thread-safe threading layer
(omp or tbb, never workqueue) so kernels may be called from several threads at once."""

import numba

if numba.config.THREADING_LAYER == "default":
    numba.config.THREADING_LAYER = "threadsafe"
