import os

# numba caches compiled kernels here so repeated test runs skip compilation.
os.environ.setdefault(
    "NUMBA_CACHE_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), ".numba_cache")
)
os.environ.setdefault("MPLBACKEND", "Agg")
