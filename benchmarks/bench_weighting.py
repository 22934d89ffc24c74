"""Differentiable information imbalance and causality gain: skii beside DADApy.

    python benchmarks/bench_weighting.py [--dadapy-python PATH] [--quick]

DADApy pins numpy < 2 and jax 0.4.30, so it lives in its own virtual environment (default
``/work/venv-dadapy/bin/python``); this script runs itself there as a worker
(``--worker``) on arrays saved to a temporary .npz file and compares:

(a) the DII and its gradient at fixed weights and lambda, N = 400 and 800, D = 10
    (DADApy in float64 for the comparison); conventions matched: squared weighted
    distances sum_f (w_f dx_f)^2, point-adaptive lambda_i = 0.1 x the squared distance to
    the first neighbour, softmax over j != i, ranks from 1, DII = 2 / N^2 sum c_ij r_ij,
    lambda differentiated. Continuous targets, so DADApy's index-order ranks equal skii's
    average ranks.
(b) the weights after 30 epochs of full-batch gradient descent from the same direction:
    DADApy keeps |w| = 0.1 sqrt(D), skii |w| = 1, so skii's learning rate is DADApy's
    divided by |w_DADApy|^2 for the same trajectory.
(c) per-epoch cost of full-batch training, best of several blocks, compile time excluded:
    DADApy in its default float32 on one XLA thread, skii in float64 on one numba thread
    (wall and process CPU time; CPU time is the fairer figure on a loaded machine) and on
    all numba threads (wall).
(d) imbalance_gain against MetricComparisons(maxk = N - 1).return_inf_imb_causality on two
    coupled Rossler oscillators (x drives y).
Timings are only meaningful on an idle machine: the load average is printed first.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SIZES = (400, 800)
N_FEATURES = 10
LAMBDA_FACTOR = 0.1
DADAPY_LR = 1e-2
TRAJ_EPOCHS = 30
ALPHAS = np.linspace(0.0, 1.0, 11)
LAG = 4
K_CAUSAL = 3


def emit(name, value, unit=""):
    print(f"{name} {value:.6g} {unit}".rstrip(), flush=True)


def make_data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES))
    y = X[:, 0] + 3 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3]
    w = rng.uniform(0.2, 1.5, N_FEATURES)
    return X, y, w


# ----------------------------------------------------------------------------- DADApy side
def worker(inp: str, out: str, epochs: int, repeats: int) -> None:
    import jax

    data = dict(np.load(inp))
    res = {}
    from dadapy import DiffImbalance
    from dadapy.metric_comparisons import MetricComparisons

    # (c) timing in DADApy's default precision (float32): epochs after a compiled one,
    # best of `repeats` blocks of `epochs` epochs.
    for n in SIZES:
        X, y = data[f"X{n}"], data[f"y{n}"][:, None]
        dii = DiffImbalance(X, y, num_epochs=epochs, learning_rate=DADAPY_LR)
        dii._init_optimizer()
        key = jax.random.PRNGKey(0)
        jax.block_until_ready(dii._train_epoch(key))  # compile
        best, best_cpu = np.inf, np.inf
        for _ in range(repeats):
            t, c = time.perf_counter(), time.process_time()
            for _ in range(epochs):
                out_epoch = dii._train_epoch(key)
            jax.block_until_ready(out_epoch)
            best = min(best, (time.perf_counter() - t) / epochs)
            best_cpu = min(best_cpu, (time.process_time() - c) / epochs)
        res[f"epoch_s{n}"] = best
        res[f"epoch_cpu{n}"] = best_cpu

    jax.config.update("jax_enable_x64", True)
    for n in SIZES:
        X, y, w = data[f"X{n}"], data[f"y{n}"][:, None], data[f"w{n}"]
        dii = DiffImbalance(X, y, num_epochs=TRAJ_EPOCHS, learning_rate=DADAPY_LR)

        def loss(p, dii=dii, X=X):
            return dii._compute_training_diff_imbalance(
                params=p,
                batch_A_rows=X,
                batch_A_columns=X,
                batch_B_ranks=dii.ranks_B,
                step=0,
            )

        value, grad = jax.value_and_grad(loss)(jax.numpy.asarray(w))
        res[f"loss{n}"] = float(value)
        res[f"grad{n}"] = np.asarray(grad)
        params, _ = dii.train()
        res[f"traj{n}"] = np.asarray(params)

    x0, y0, yt = data["x0"], data["y0"], data["yt"]
    mc = MetricComparisons(maxk=x0.shape[0] - 1, n_jobs=1)
    res["causal_xy"] = np.asarray(
        mc.return_inf_imb_causality(x0, y0, yt, weights=ALPHAS, k=K_CAUSAL)
    )
    res["causal_yx"] = np.asarray(
        mc.return_inf_imb_causality(y0, x0, data["xt"], weights=ALPHAS, k=K_CAUSAL)
    )
    np.savez(out, **res)


# ----------------------------------------------------------------------------- skii side
def per_epoch_cost(X, y, lr, epochs, repeats, threads):
    """Best of ``repeats`` of (fit of 1 + epochs epochs - fit of 1 epoch) / epochs: (wall, CPU)."""
    from skii import InformationImbalanceWeighting
    from skii._parallel import call_with_threads

    def fit_time(e):
        model = InformationImbalanceWeighting(learning_rate=lr, n_epochs=e)
        t, c = time.perf_counter(), time.process_time()
        call_with_threads(threads, model.fit, X, y)
        return np.array([time.perf_counter() - t, time.process_time() - c])

    runs = [(fit_time(1 + epochs) - fit_time(1)) / epochs for _ in range(repeats)]
    return np.min(runs, axis=0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dadapy-python", default="/work/venv-dadapy/bin/python")
    parser.add_argument("--quick", action="store_true", help="fewer timing epochs")
    parser.add_argument("--worker", nargs=2, metavar=("IN", "OUT"))
    args = parser.parse_args()
    epochs, repeats = (10, 2) if args.quick else (20, 5)
    if args.worker:
        worker(*args.worker, epochs, repeats)
        return

    import numba

    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "tests"))
    from test_causality import rossler_pair

    from skii import differentiable_imbalance, imbalance_gain
    from skii._parallel import call_with_threads

    print("uptime:", os.getloadavg(), "numba threads:", numba.get_num_threads(), flush=True)
    data = {}
    for n in SIZES:
        data[f"X{n}"], data[f"y{n}"], data[f"w{n}"] = make_data(n)
    x, y = rossler_pair(500)
    data.update(x0=x[:-LAG], y0=y[:-LAG], xt=x[LAG:], yt=y[LAG:])

    with tempfile.TemporaryDirectory() as tmp:
        inp, out = os.path.join(tmp, "in.npz"), os.path.join(tmp, "out.npz")
        np.savez(inp, **data)
        # One XLA thread, so that CPU times compare with skii's one numba thread.
        env = {
            **os.environ,
            "PYTHONPATH": "",
            "JAX_PLATFORMS": "cpu",
            "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
        }
        subprocess.run(
            [args.dadapy_python, __file__, "--worker", inp, out, *(["--quick"] * args.quick)],
            check=True,
            env=env,
        )
        ref = dict(np.load(out))

    c2 = 0.01 * N_FEATURES  # |w_init|^2 in DADApy (0.1 per weight)
    for n in SIZES:
        X, y, w = data[f"X{n}"], data[f"y{n}"], data[f"w{n}"]
        value, grad = differentiable_imbalance(
            X, y, w, lambda_factor=LAMBDA_FACTOR, return_gradient=True
        )
        emit(f"(a) N={n} DII skii", value)
        emit(f"(a) N={n} DII DADApy", ref[f"loss{n}"])
        emit(f"(a) N={n} DII relative difference", abs(value / ref[f"loss{n}"] - 1))
        gdiff = np.abs(grad - ref[f"grad{n}"]).max() / np.abs(ref[f"grad{n}"]).max()
        emit(f"(a) N={n} gradient max relative difference", gdiff)

        from skii import InformationImbalanceWeighting

        model = InformationImbalanceWeighting(
            learning_rate=DADAPY_LR / c2, n_epochs=TRAJ_EPOCHS
        ).fit(X, y)
        ours = model.history_.filter(like="weight_").to_numpy()
        theirs = np.abs(ref[f"traj{n}"])
        theirs = theirs / np.linalg.norm(theirs, axis=1, keepdims=True)
        emit(
            f"(b) N={n} weights after {TRAJ_EPOCHS} epochs, max |skii - DADApy|",
            np.abs(ours - theirs).max(),
        )

        t_dadapy, cpu_dadapy = ref[f"epoch_s{n}"], ref[f"epoch_cpu{n}"]
        t1, cpu1 = per_epoch_cost(X, y, DADAPY_LR / c2, epochs, repeats, 1)
        tall, _ = per_epoch_cost(X, y, DADAPY_LR / c2, epochs, repeats, None)
        tag = f"(c) N={n} D={N_FEATURES}"
        emit(f"{tag} DADApy per epoch, 1 thread: wall", 1e3 * t_dadapy, "ms")
        emit(f"{tag} DADApy per epoch, 1 thread: CPU", 1e3 * cpu_dadapy, "ms")
        emit(f"{tag} skii per epoch, 1 thread: wall", 1e3 * t1, "ms")
        emit(f"{tag} skii per epoch, 1 thread: CPU", 1e3 * cpu1, "ms")
        emit(f"{tag} skii per epoch, {numba.get_num_threads()} threads: wall", 1e3 * tall, "ms")
        emit(f"{tag} CPU-time ratio DADApy / skii (1 thread each)", cpu_dadapy / cpu1, "x")

    for name, (a, b, c), key in [
        ("x->y", ("x0", "y0", "yt"), "causal_xy"),
        ("y->x", ("y0", "x0", "xt"), "causal_yx"),
    ]:
        table = call_with_threads(
            None, imbalance_gain, data[a], data[b], data[c], alphas=ALPHAS, n_neighbors=K_CAUSAL
        )
        theirs = ref[key]
        emit(f"(d) {name} gain skii", table.attrs["gain"])
        emit(f"(d) {name} gain DADApy", (theirs[0] - theirs.min()) / theirs[0])
        emit(
            f"(d) {name} max |Delta skii - Delta DADApy| over alphas",
            np.abs(table["delta"].to_numpy() - theirs).max(),
        )
    print("uptime:", os.getloadavg(), flush=True)


if __name__ == "__main__":
    main()
