"""Import before compiling parallel numba kernels: the package-wide numba settings live in
:mod:`skii._numba_setup` (thread-safe threading layer, passive OpenMP waiting)."""

import skii._numba_setup  # noqa: F401
