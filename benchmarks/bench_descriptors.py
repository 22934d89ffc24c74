"""Benchmark: the 60 coarse-grained descriptors, and psi6 + local density beside freud.

Configurations: a square lattice with Gaussian noise (0.15 spacing) at the ka2d number
density 1.192, species drawn with the ka2d composition. Timings are the median of at
least ``--repeats`` calls (up to 1 s of calls) after one warm-up call (numba
compilation excluded).

Run::

    NUMBA_CACHE_DIR=/tmp/numba-bench PYTHONPATH=. python benchmarks/bench_descriptors.py

Prints, per N, the time for all 60 columns and its cost per particle (linear scaling
means a flat cost per particle), then psi6 and the local density at the 10 lengths for
the smallest N with skii_glass and freud (``freud.order.Hexatic`` with a ball query of
``r_max = 1.4`` and ``freud.density.LocalDensity`` once per length), both on the same
number of threads; all of it for 1 thread and for all threads (``--threads``).

On a shared machine (another process busy on a core) GNU OpenMP's default spin-waiting
makes each parallel region wait ~10-40 ms for a descheduled worker; run with
``OMP_WAIT_POLICY=passive`` there to see the kernels' own cost.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numba
import numpy as np

from skii_glass import Configuration, get_preset
from skii_glass.descriptors import (
    DEFAULT_LENGTHS,
    local_density,
    psi6,
    structural_descriptors,
)


def make_config(n: int, seed: int = 0) -> Configuration:
    m = get_preset("ka2d")
    rng = np.random.default_rng(seed)
    side = int(round(np.sqrt(n)))
    n = side * side
    a = 1.0 / np.sqrt(m.density)
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    pos = np.c_[i.ravel(), j.ravel()] * a + rng.normal(0, 0.15 * a, (n, 2))
    species = rng.permutation(np.repeat(np.arange(3), m.counts(n)))
    return Configuration(pos, species, side * a, m)


def timed(fn, repeats: int) -> float:
    """Median wall time of at least ``repeats`` calls (more, up to 1 s of calls, for fast
    functions: the machine is shared, so single calls are noisy)."""
    fn()  # warm-up: compilation, caches
    times: list[float] = []
    while len(times) < repeats or (sum(times) < 1.0 and len(times) < 200):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench(sizes: list[int], repeats: int, threads: int) -> None:
    numba.set_num_threads(threads)
    print(f"\n=== {threads} thread(s); load average {os.getloadavg()[0]:.2f} ===")
    print("all 60 columns (rho, phi, u, psi6, theta, z x 10 lengths)")
    print(f"{'N':>8} {'seconds':>10} {'us/particle':>12}")
    for n in sizes:
        c = make_config(n)
        t = timed(lambda c=c: structural_descriptors(c), repeats)
        print(f"{c.n_particles:>8} {t:>10.4f} {1e6 * t / c.n_particles:>12.2f}")

    c = make_config(sizes[0])
    lengths = np.array(DEFAULT_LENGTHS)
    print(f"psi6 and local density at {len(lengths)} lengths, N = {c.n_particles}")
    t_psi = timed(lambda: psi6(c), repeats)
    t_rho = timed(lambda: local_density(c, lengths), repeats)
    print(f"{'  skii_glass psi6 (+u, z, theta in the same pass)':<54} {t_psi:>9.4f} s")
    print(f"{'  skii_glass local density (10 lengths, one pass)':<54} {t_rho:>9.4f} s")
    try:
        import freud
    except ImportError:
        print("  freud not installed (pip install freud-analysis): no comparison")
        return
    freud.parallel.set_num_threads(threads)
    box = freud.box.Box.from_box(c.box)
    pts = np.c_[c.positions - c.box / 2, np.zeros(c.n_particles)].astype(np.float32)
    hexatic = freud.order.Hexatic(k=6)
    f_psi = timed(
        lambda: hexatic.compute((box, pts), neighbors={"r_max": 1.4}), repeats
    )

    def freud_density():
        for L in lengths:
            freud.density.LocalDensity(r_max=float(L), diameter=0.0).compute((box, pts))

    f_rho = timed(freud_density, repeats)
    print(f"{'  freud Hexatic(k=6), ball r_max = 1.4':<54} {f_psi:>9.4f} s")
    print(f"{'  freud LocalDensity, one call per length':<54} {f_rho:>9.4f} s")
    print(f"  ratio freud / skii_glass: psi6 {f_psi / t_psi:.2f}x, "
          f"density {f_rho / t_rho:.2f}x, both {(f_psi + f_rho) / (t_psi + t_rho):.2f}x")
    # Sanity: the same physics (scalar cutoff 1.4 for both codes).
    ours = psi6(c, neighbor_cutoff=1.4 / c.mixture.sigma)
    diff = np.max(np.abs(ours - np.abs(hexatic.particle_order)))
    print(f"  max |psi6 ours - freud| with the same scalar cutoff: {diff:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 16000, 64000])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+",
                        default=sorted({1, numba.config.NUMBA_NUM_THREADS}))
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}  numba threading layer: {numba.config.THREADING_LAYER}  "
          f"OMP_WAIT_POLICY: {os.environ.get('OMP_WAIT_POLICY', '(unset)')}")
    for threads in args.threads:
        bench(args.sizes, args.repeats, threads)
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (other jobs share the machine: "
          "with a busy core, multi-threaded timings suffer most)")


if __name__ == "__main__":
    main()
