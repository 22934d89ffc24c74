"""skii._warmup compiles every kernel the glass study's analyses use.

``skii-glass reproduce`` compiles them in a second process and then loads them from
numba's cache; a kernel (or an argument type) the warm-up misses would be compiled again,
on the critical path. So: after the warm-up, a whole study must add no new compiled
signature to any kernel of skii.
"""

import numpy as np
import pandas as pd
from numba.core.registry import CPUDispatcher

import skii
from skii import _warmup


def _signatures() -> dict[str, int]:
    import sys

    out = {}
    for name, mod in list(sys.modules.items()):
        if not name.startswith("skii.") or "kernels" not in name:
            continue
        for attr, obj in vars(mod).items():
            if isinstance(obj, CPUDispatcher):
                out[f"{name}.{attr}"] = len(obj.signatures)
    return out


def test_warmup_covers_every_kernel_of_the_study():
    from skii_glass import study

    _warmup.compile_kernels()
    before = _signatures()
    assert before["skii._pruned_kernels.pruned_forward_rows"] >= 1
    assert before["skii._pruned_unsup_kernels.unsup_forward_rows"] >= 1
    assert before["skii._pruned_unsup_kernels.full_neighbour_rows"] >= 1

    rng = np.random.default_rng(1)
    table = pd.DataFrame(rng.normal(size=(90, 4)), columns=["a", "b", "c", "d"])
    table["propensity"] = table["b"] + 0.3 * rng.normal(size=90)
    table["configuration"] = np.repeat([0, 1, 2], 30)
    study.run_study(table, n_path_features=3, max_d=3, n_random_draws=5, n_jobs=1)
    skii.information_imbalance(table[["a", "b"]], table["propensity"])
    after = _signatures()
    grown = {k: (before.get(k, 0), v) for k, v in after.items() if v > before.get(k, 0)}
    assert not grown, f"kernels compiled after the warm-up: {grown}"
