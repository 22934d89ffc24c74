"""Speed of the Monte Carlo engine beside the C reference ``mc2d``, in the same run.

Measures trial moves per second for one chain (= per core) for ka2d at N = 1290 and 4000,
T = 1.0 and 0.4, delta = 0.1, and the speed-up of 2 independent replicas on 2 cores (numba
kernels release the GIL, replicas run in threads) against 1. The C program is built from
``shared/c_reference`` into a temporary directory and run with the same settings
(equilibration then timed production sweeps, same start protocol: shuffled square lattice,
no melt).

Usage::

    python benchmarks/bench_mc.py                  # full (about 1-2 minutes)
    python benchmarks/bench_mc.py --sweeps 500     # quicker
    python benchmarks/bench_mc.py --c-ref DIR      # where mc2d.c lives

Prints one ``name value unit`` line per figure, then a summary table. Timings are only
meaningful on an otherwise idle machine: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from skii_glass.simulation import random_configuration, run_mc  # noqa: E402


def emit(name, value, unit="-"):
    print(f"{name} {value:.6g} {unit}" if isinstance(value, float) else f"{name} {value} {unit}",
          flush=True)


def build_c(src: Path, tmp: Path) -> Path | None:
    if not (src / "mc2d.c").exists():
        print(f"# C reference not found in {src}; skipping it", flush=True)
        return None
    for name in ("mc2d.c", "Makefile"):
        shutil.copy(src / name, tmp / name)
    subprocess.run(["make", "-s", "mc2d"], cwd=tmp, check=True, stdout=subprocess.DEVNULL)
    return tmp / "mc2d"


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_c(exe: Path, n: int, t: float, equil: int, sweeps: int, replicas: int) -> dict:
    cpu0 = _child_cpu()
    out = subprocess.run(
        [str(exe), "-N", str(n), "-T", str(t), "-d", "0.1", "-e", str(equil), "-s", str(sweeps),
         "-S", "1", "-r", str(replicas), "-t", str(replicas)],
        check=True, capture_output=True, text=True).stdout
    vals = {"cpu_s": _child_cpu() - cpu0}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            try:
                vals[parts[0]] = float(parts[1])
            except ValueError:
                pass
    return vals


def prepared(n: int, t: float, equil: int, seed: int):
    """Lattice start equilibrated for ``equil`` sweeps at ``t`` (as mc2d does)."""
    start = random_configuration("ka2d", n, seed=seed)
    return run_mc(start, t, equil, seed=seed + 1).final


def ours_one(config, t: float, sweeps: int, seed: int) -> tuple[float, float, float, float]:
    cpu0 = time.thread_time()
    res = run_mc(config, t, sweeps, seed=seed)
    cpu_rate = config.n_particles * sweeps / (time.thread_time() - cpu0)
    return res.trial_moves_per_second, cpu_rate, res.acceptance, res.energy_per_particle


def _timed_chain(config, t: float, sweeps: int, seed: int) -> float:
    """Run one chain; return the CPU seconds of this thread."""
    c0 = time.thread_time()
    run_mc(config, t, sweeps, seed=seed)
    return time.thread_time() - c0


def ours_replicas(configs, t: float, sweeps: int, seeds) -> tuple[float, float]:
    """Aggregate trial moves per wall second of len(configs) chains run in threads (numba
    kernels release the GIL), and trial moves per CPU second of one chain while they run
    (below the 1-chain figure only if the chains slow each other down, e.g. through a
    shared cache: the load-independent part of the parallel efficiency)."""
    n_tot = sum(c.n_particles * sweeps for c in configs)
    with ThreadPoolExecutor(len(configs)) as pool:
        t0 = time.perf_counter()
        jobs = [pool.submit(_timed_chain, c, t, sweeps, s)
                for c, s in zip(configs, seeds, strict=True)]
        cpu = [job.result() for job in jobs]
        wall = time.perf_counter() - t0
    return n_tot / wall, n_tot / sum(cpu)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweeps", type=int, default=2000, help="timed production sweeps")
    ap.add_argument("--equil", type=int, default=1000, help="untimed equilibration sweeps")
    ap.add_argument("--c-ref", default=str(HERE.parent.parent / "shared" / "c_reference"))
    ap.add_argument("--sizes", default="1290,4000")
    ap.add_argument("--temperatures", default="1.0,0.4")
    args = ap.parse_args()
    src = Path(args.c_ref)
    if not src.exists():
        src = Path("/work/shared/c_reference")
    emit("machine_cpus", os.cpu_count(), "count")
    emit("loadavg_1min_before", os.getloadavg()[0])
    # compile (or load) the kernels before any timing
    run_mc(random_configuration("ka2d", 100, seed=0), 1.0, 2, seed=0)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_c(src, Path(tmp))
        for t in (float(x) for x in args.temperatures.split(",")):
            for n in (int(x) for x in args.sizes.split(",")):
                conf = prepared(n, t, args.equil, seed=n)
                rate, cpu_rate, acc, e = ours_one(conf, t, args.sweeps, seed=3)
                tag = f"N{n}_T{t}"
                emit(f"ours_{tag}_moves_per_s_per_core", rate, "1/s")
                emit(f"ours_{tag}_moves_per_cpu_s", cpu_rate, "1/s")
                emit(f"ours_{tag}_acceptance", acc)
                emit(f"ours_{tag}_e_pot_per_particle", e, "eps")
                c_rate = c_cpu_rate = float("nan")
                if exe is not None:
                    c = run_c(exe, n, t, args.equil, args.sweeps, 1)
                    c_rate = c["moves_per_s_per_thread"]
                    # CPU seconds of production = run minus an equilibration-only run
                    c0 = run_c(exe, n, t, args.equil, 0, 1)
                    c_cpu_rate = n * args.sweeps / max(c["cpu_s"] - c0["cpu_s"], 1e-9)
                    emit(f"c_{tag}_moves_per_s_per_core", c_rate, "1/s")
                    emit(f"c_{tag}_moves_per_cpu_s", c_cpu_rate, "1/s")
                    emit(f"c_{tag}_acceptance", c["acceptance"])
                    emit(f"c_{tag}_e_pot_per_particle", c["e_pot_per_particle"], "eps")
                rows.append((tag, rate, c_rate, cpu_rate, c_cpu_rate))
        # replica parallel efficiency: 2 chains on 2 cores vs 1 chain
        n, t = 1290, 1.0
        confs = [prepared(n, t, args.equil, seed=s) for s in (11, 12)]
        one, one_cpu = ours_replicas(confs[:1], t, args.sweeps, [21])
        two, two_cpu = ours_replicas(confs, t, args.sweeps, [21, 22])
        emit("ours_replicas_1_moves_per_s", one, "1/s")
        emit("ours_replicas_2_moves_per_s", two, "1/s")
        emit("ours_replicas_speedup_2_cores", two / one, "x")
        emit("ours_replicas_cpu_efficiency_2_vs_1", two_cpu / one_cpu)
        c_speedup = float("nan")
        if exe is not None:
            c1 = run_c(exe, n, t, args.equil, args.sweeps, 1)["moves_per_s"]
            c2 = run_c(exe, n, t, args.equil, args.sweeps, 2)["moves_per_s"]
            c_speedup = c2 / c1
            emit("c_replicas_speedup_2_cores", c_speedup, "x")
    emit("loadavg_1min_after", os.getloadavg()[0])
    print("\n# trial moves per second per core (ka2d, delta 0.1); wall clock, and per CPU second")
    print("# (the CPU-second figures are robust when other jobs load the machine)")
    print(f"# {'case':<12} {'ours':>9} {'C mc2d':>9} {'ratio':>6} | {'ours/cpu-s':>10} "
          f"{'C/cpu-s':>9} {'ratio':>6}")
    for tag, rate, c_rate, cpu_rate, c_cpu in rows:
        print(f"# {tag:<12} {rate:9.3e} {c_rate:9.3e} {rate / c_rate:6.2f} | {cpu_rate:10.3e} "
              f"{c_cpu:9.3e} {cpu_rate / c_cpu:6.2f}")
    print(f"# 2 replicas on 2 cores: ours {two / one:.2f}x, C {c_speedup:.2f}x wall clock "
          "(target >= 1.8x; meaningful only on an idle machine);")
    print(f"# per-chain CPU efficiency with 2 chains running: {two_cpu / one_cpu:.2f} "
          "(speed-up on 2 idle cores ~ 2 x this)")
    print("# target: ours >= 3.3e6 trial moves /s/core at N = 1290")


if __name__ == "__main__":
    main()
