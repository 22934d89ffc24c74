import os

# numba caches compiled kernels here so repeated test runs skip compilation.
os.environ.setdefault(
    "NUMBA_CACHE_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), ".numba_cache")
)
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_collection_modifyitems(config, items):
    # The selector computes on numpy arrays through numba and declares no array API
    # support; sklearn's array API checks would only report themselves as skipped.
    items[:] = [item for item in items if "check_array_api" not in item.nodeid]
