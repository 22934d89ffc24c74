import os

# numba caches compiled kernels here so repeated test runs skip compilation.
os.environ.setdefault(
    "NUMBA_CACHE_DIR", os.path.join(os.path.dirname(os.path.dirname(__file__)), ".numba_cache")
)
os.environ.setdefault("MPLBACKEND", "Agg")

ARRAY_API_REASON = (
    "the selector computes on numpy arrays through numba and declares no array API "
    "support; sklearn's array API checks would only report themselves as skipped"
)


def pytest_collection_modifyitems(config, items):
    deselected = [item for item in items if "check_array_api" in item.nodeid]
    if deselected:
        # Reported as deselected (with the reason at the end), not silently dropped.
        items[:] = [item for item in items if "check_array_api" not in item.nodeid]
        config.hook.pytest_deselected(items=deselected)
    config._skii_array_api_deselected = len(deselected)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    n = getattr(config, "_skii_array_api_deselected", 0)
    if n:
        terminalreporter.write_sep("-", "deselected by tests/conftest.py")
        terminalreporter.write_line(f"{n} sklearn array API checks: {ARRAY_API_REASON}")
