"""Speed of the information-imbalance kernels, beside references measured in the same run.

    python benchmarks/bench_imbalance.py [--quick] [--no-c] [--large]

Prints one ``name value unit`` line per figure:
(a) Delta(X -> y) and Delta(y -> X) with 60 features at N = 4000 and 16000;
(b) the supervised greedy path to 15 of 60 features at N = 4000 (and 10 of 60, the figure
    the C reference and DADApy were quoted at), and 3 of 60 at N = 16000, each with its
    recorded imbalances (part of the timed fit);
(c) the same, unsupervised, beside the brute-force kernel (``skii._imbalance._PRUNED =
    False``) on the same data;
(d) peak extra memory of one Delta at N = 50000 (O(N) per thread, no N x N matrix);
(e) with ``--large``: the supervised 10-of-60 path of one group of N = 100,000 rows, its
    time and peak memory (a child process; minutes).
Every path figure is printed with the load average at its start, in wall time and in CPU
time (all threads): on a shared machine the CPU-time ratio to C is the steadier one. A
supervised path figure is the fastest of as many fits as the C program repeats each of its
steps (3, or 1 beyond N = 8000; it reports the sum of each step's fastest), the
unsupervised one the fastest of 2.
Each skii time is printed beside a straightforward blocked numpy implementation and, where
gcc is available, the tuned C program of ``../shared/c_reference/ii.c`` (k = 1, ties by
lowest index; it has no unsupervised mode), on the same data. Timings are only meaningful
on an idle machine: the load average is printed first.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.spatial.distance import cdist

import skii

C_SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "c_reference" / "ii.c"


def emit(name, value, unit):
    print(f"{name} {value:.4g} {unit}", flush=True)


def best_of(func, repeats=3):
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        func()
        times.append(time.perf_counter() - t)
    return min(times)


def numpy_delta(a, b, block=256):
    """Delta(A -> B), k = 1, blocked over rows; no ties (continuous data)."""
    a = a.reshape(len(a), -1)
    b = b.reshape(len(b), -1)
    n = len(a)
    total = 0
    for lo in range(0, n, block):
        hi = min(n, lo + block)
        rows = np.arange(lo, hi)
        da = cdist(a[lo:hi], a, "sqeuclidean")
        da[rows - lo, rows] = np.inf
        nn = da.argmin(axis=1)
        db = cdist(b[lo:hi], b, "sqeuclidean")
        db[rows - lo, rows] = np.inf
        total += int((db < db[rows - lo, nn][:, None]).sum()) + (hi - lo)
    return 2.0 * total / (n * n)


def numpy_greedy_step(x, target, selected):
    """One greedy step from scratch: every candidate's Delta(X_S+j -> target)."""
    cands = [j for j in range(x.shape[1]) if j not in selected]
    scores = [numpy_delta(x[:, sorted(selected + [j])], target) for j in cands]
    return cands[int(np.argmin(scores))]


def numpy_greedy_step_unsup(x, selected):
    cands = [j for j in range(x.shape[1]) if j not in selected]
    scores = []
    for j in cands:
        sub = x[:, sorted(selected + [j])]
        scores.append(numpy_delta(sub, x) + numpy_delta(x, sub))
    return cands[int(np.argmin(scores))]


def build_c(tmp: Path):
    if not C_SOURCE.exists() or shutil.which("gcc") is None:
        return None
    exe = tmp / "ii"
    cmd = ["gcc", "-O3", "-march=native", "-fopenmp", "-o", str(exe), str(C_SOURCE), "-lm"]
    if subprocess.run(cmd, capture_output=True).returncode != 0:
        return None
    return exe


def run_c(exe, x, y, tmp: Path, steps: int, threads: int, repeats: int = 3):
    path = tmp / f"data_{len(x)}.bin"
    with open(path, "wb") as fh:
        np.array([x.shape[0], x.shape[1]], dtype="<i8").tofile(fh)
        np.ascontiguousarray(x, dtype="<f8").tofile(fh)
        np.ascontiguousarray(y, dtype="<f8").tofile(fh)
    out = subprocess.run(
        [str(exe), "-f", str(path), "-k", str(steps), "-R", str(repeats), "-t", str(threads)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"},  # no spinning: fair CPU time
    ).stdout
    return {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\S+) (\S+)", out, re.M)}


def _children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def c_greedy_cpu(exe, x, y, tmp: Path, steps: int, threads: int):
    """CPU seconds of the C greedy steps alone: one run with them minus one without."""
    t0 = _children_cpu()
    run_c(exe, x, y, tmp, steps, threads, repeats=1)
    t1 = _children_cpu()
    run_c(exe, x, y, tmp, 0, threads, repeats=1)
    return (t1 - t0) - (_children_cpu() - t1)


def timed_path(*args, repeats=1, **kwargs):
    """(wall s, CPU s of all threads, path): the fastest of ``repeats`` fits (by wall
    time, with its CPU time)."""
    best = None
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        path = skii.imbalance_path(*args, **kwargs)
        run = (time.perf_counter() - w, time.process_time() - c, path)
        best = run if best is None or run[0] < best[0] else best
    return best


def path_vs_c(exe, x, y, tmp: Path, steps: int, threads: int):
    """The supervised path beside the C greedy steps on the same data, wall and CPU."""
    n = len(x)
    tag = f"path_sup_{steps}of60_N{n}"
    emit(f"{tag}_load_average_1min", os.getloadavg()[0], "-")
    # The same number of timed repeats as the C program's (it reports each step's
    # fastest of them).
    repeats = 1 if n > 8000 else 3
    t_sup, cpu_sup, path = timed_path(x, y, n_features_to_select=steps, repeats=repeats)
    emit(f"{tag}_skii", t_sup, "s")
    emit(f"{tag}_skii_cpu", cpu_sup, "s")
    if exe is None:
        return t_sup, path
    c = run_c(exe, x, y, tmp, steps, threads, repeats=repeats)
    emit(f"{tag}_c", c["greedy_total_time"], "s")
    emit(f"{tag}_skii_over_c", t_sup / c["greedy_total_time"], "x")
    c_cpu = c_greedy_cpu(exe, x, y, tmp, steps, threads)
    emit(f"{tag}_c_cpu", c_cpu, "s")
    emit(f"{tag}_skii_over_c_cpu", cpu_sup / c_cpu, "x")
    c_order = [int(c[f"greedy_step{q}_feature"]) for q in range(1, steps + 1)]
    emit(f"{tag}_same_order_as_c", float(c_order == path["feature"].tolist()), "bool")
    emit(f"{tag}_load_average_1min_end", os.getloadavg()[0], "-")
    return t_sup, path


def large_path_child(n, steps):
    """Supervised path of one group of n rows x 60 features in a child: time, peak MiB."""
    code = (
        "import resource, time, numpy as np, skii, sys;"
        "sys.path.insert(0, 'benchmarks');"
        "from bench_imbalance import data;"
        f"x, y = data({n});"
        "skii.imbalance_path(x[:300], y[:300], n_features_to_select=3);"
        "t=time.perf_counter();"
        f"p=skii.imbalance_path(x, y, n_features_to_select={steps});"
        "el=time.perf_counter()-t;"
        "print(el, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024,"
        " ','.join(map(str, p['feature'])))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    el, mib, order = out.stdout.split()
    return float(el), float(mib), order


def data(n, d=60, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    y = x[:, 3] + np.sin(2 * x[:, 7]) + 0.5 * x[:, 11] * x[:, 12] + 0.1 * rng.normal(size=n)
    return x, y


def peak_memory_child(n):
    code = (
        "import resource, numpy as np, skii;"
        f"x=np.random.default_rng(0).normal(size=({n},60)); y=x[:,0];"
        "skii.information_imbalance(x[:100], y[:100]);"
        "base=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "import time; t=time.perf_counter(); skii.information_imbalance(x, y);"
        "el=time.perf_counter()-t;"
        "print(el, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss-base)/1024)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    el, mib = map(float, out.stdout.split())
    return el, mib


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes (smoke run)")
    ap.add_argument("--no-c", action="store_true", help="skip the C reference")
    ap.add_argument("--large", action="store_true", help="also the N = 100,000 path (minutes)")
    args = ap.parse_args()
    import numba

    threads = numba.get_num_threads()
    emit("load_average_1min", os.getloadavg()[0], "-")
    emit("numba_threads", threads, "count")
    sizes = [400, 800] if args.quick else [4000, 16000]
    n_path = 400 if args.quick else 4000

    # Compile once, outside the timings.
    xs, ys = data(200)
    skii.information_imbalances(xs, ys)
    skii.imbalance_path(xs[:, :4], ys, n_features_to_select=2)
    skii.imbalance_path(xs[:, :4], mode="unsupervised", n_features_to_select=2)
    xw, yw = data(8000)  # the grid and tree kernels of larger groups (N >= 3000, 8000)
    skii.imbalance_path(xw[:, :8], yw, n_features_to_select=3)

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        exe = None if args.no_c else build_c(tmp)
        for n in sizes:
            x, y = data(n)
            t_skii = best_of(lambda x=x, y=y: skii.information_imbalances(x, y))
            ours = skii.information_imbalances(x, y)
            emit(f"pair_N{n}_skii", t_skii, "s")
            reps = 1 if n > 8000 else 2
            t_np = best_of(lambda x=x, y=y: (numpy_delta(x, y), numpy_delta(y, x)), reps)
            emit(f"pair_N{n}_numpy", t_np, "s")
            emit(f"pair_N{n}_numpy_over_skii", t_np / t_skii, "x")
            if exe is not None:
                c = run_c(exe, x, y, tmp, 0, threads)
                t_c = c["time_X_to_y"] + c["time_y_to_X"]
                emit(f"pair_N{n}_c", t_c, "s")
                emit(f"pair_N{n}_skii_over_c", t_skii / t_c, "x")
                # Same data, continuous features (no ties): the values agree to the 8
                # decimals the C program prints.
                diff = max(abs(ours[0] - c["delta_X_to_y"]), abs(ours[1] - c["delta_y_to_X"]))
                emit(f"pair_N{n}_max_abs_diff_skii_vs_c", diff, "-")

        x, y = data(n_path)
        for steps in (10, 15):
            t_sup, path = path_vs_c(exe, x, y, tmp, steps, threads)
        n_big = 800 if args.quick else 16000
        path_vs_c(exe, *data(n_big), tmp, 3, threads)
        # numpy: time the first two steps from scratch and scale by the candidate count.
        t = time.perf_counter()
        first = numpy_greedy_step(x, y, [])
        numpy_greedy_step(x, y, [first])
        two = time.perf_counter() - t
        est = two / 2 * 15 * (60 - 7) / 59.5  # mean candidates per step over 15 steps
        emit(f"path_sup_15of60_N{n_path}_numpy_estimated", est, "s")
        emit(f"path_sup_15of60_N{n_path}_numpy_over_skii", est / t_sup, "x")

        emit(f"path_unsup_15of60_N{n_path}_load_average_1min", os.getloadavg()[0], "-")
        t_uns, cpu_uns, p_uns = timed_path(x, mode="unsupervised", n_features_to_select=15,
                                           repeats=2)
        emit(f"path_unsup_15of60_N{n_path}_skii", t_uns, "s")
        emit(f"path_unsup_15of60_N{n_path}_skii_cpu", cpu_uns, "s")
        # The brute-force kernel the pruned one replaced, same data, same run.
        skii._imbalance._PRUNED = False
        t_bf, cpu_bf, p_bf = timed_path(x, mode="unsupervised", n_features_to_select=15)
        skii._imbalance._PRUNED = True
        emit(f"path_unsup_15of60_N{n_path}_brute_force", t_bf, "s")
        emit(f"path_unsup_15of60_N{n_path}_brute_force_cpu", cpu_bf, "s")
        emit(f"path_unsup_15of60_N{n_path}_brute_force_over_skii_cpu", cpu_bf / cpu_uns, "x")
        emit(f"path_unsup_15of60_N{n_path}_same_path_as_brute_force",
             float(p_uns.equals(p_bf)), "bool")
        t = time.perf_counter()
        numpy_greedy_step_unsup(x, [])
        one = time.perf_counter() - t
        est = one * 15 * (60 - 7) / 60 * 1.5  # later steps carry more selected columns
        emit(f"path_unsup_15of60_N{n_path}_numpy_estimated", est, "s")
        emit(f"path_unsup_15of60_N{n_path}_numpy_over_skii", est / t_uns, "x")
        emit(f"path_unsup_15of60_N{n_path}_load_average_1min_end", os.getloadavg()[0], "-")

    n_mem = 5000 if args.quick else 50000
    el, mib = peak_memory_child(n_mem)
    emit(f"delta_X60_to_y_N{n_mem}_time", el, "s")
    emit(f"delta_X60_to_y_N{n_mem}_peak_extra_memory", mib, "MiB")
    if args.large:
        n_large = 10_000 if args.quick else 100_000
        emit(f"path_sup_10of60_N{n_large}_load_average_1min", os.getloadavg()[0], "-")
        el, mib, order = large_path_child(n_large, 10)
        emit(f"path_sup_10of60_N{n_large}_skii", el, "s")
        emit(f"path_sup_10of60_N{n_large}_peak_memory", mib, "MiB")
        print(f"path_sup_10of60_N{n_large}_order {order} -", flush=True)
        emit(f"path_sup_10of60_N{n_large}_load_average_1min_end", os.getloadavg()[0], "-")


if __name__ == "__main__":
    main()
