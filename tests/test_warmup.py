"""skii._warmup compiles every kernel the glass study's analyses use.

``skii-glass reproduce`` compiles them in other processes and then loads them from numba's
cache; a kernel (or an argument type) the warm-up misses would be compiled again, on the
critical path. So: in a fresh process (no kernel loaded yet), after the warm-up a whole
study must add no compiled signature to any kernel of skii.
"""

import subprocess
import sys
import textwrap

import pytest

from skii import _warmup

_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np, pandas as pd
    from numba.core.registry import CPUDispatcher
    import skii
    from skii import _warmup
    from skii_glass import study

    def signatures():
        out = {}
        for name, mod in list(sys.modules.items()):
            if name.startswith("skii.") and "kernels" in name:
                for attr, obj in vars(mod).items():
                    if isinstance(obj, CPUDispatcher):
                        out[f"{name}.{attr}"] = len(obj.signatures)
        return out

    _warmup.compile_kernels()
    before = signatures()
    for kernel in ("skii._pruned_kernels.pruned_forward_rows",
                   "skii._pruned_unsup_kernels.unsup_forward_rows",
                   "skii._pruned_unsup_kernels.full_neighbour_rows"):
        assert before[kernel] >= 1, kernel
    rng = np.random.default_rng(1)
    table = pd.DataFrame(rng.normal(size=(90, 4)), columns=["a", "b", "c", "d"])
    table["propensity"] = table["b"] + 0.3 * rng.normal(size=90)
    table["configuration"] = np.repeat([0, 1, 2], 30)
    study.run_study(table, n_path_features=3, max_d=3, n_random_draws=5, n_jobs=1)
    skii.information_imbalance(table["a"], table["propensity"])
    after = signatures()
    grown = {k: (before.get(k, 0), v) for k, v in after.items() if v > before.get(k, 0)}
    assert not grown, f"kernels compiled after the warm-up: {grown}"
    print("ok")
    """
)


def test_warmup_covers_every_kernel_of_the_study():
    res = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True)
    assert res.returncode == 0 and res.stdout.strip() == "ok", res.stderr[-2000:]


def test_warmup_modes_are_checked():
    with pytest.raises(ValueError, match="unknown modes"):
        _warmup.compile_kernels(("supervised", "backward"))
