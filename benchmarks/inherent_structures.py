"""Inherent structures of a propensity dataset: quench cost, IS energy, and what the
descriptors of the inherent structure gain in correlation with the propensity.

For the first ``--n-configurations`` configurations of a dataset file (default: the
bundled one), this quenches each with :func:`skii_glass.inherent.minimize_energy` (FIRE,
``fmax = 1e-8``) and prints

* the time per quench, wall and CPU (the CPU time is the robust number on a shared
  machine; one numba thread unless ``NUMBA_NUM_THREADS`` says otherwise; the
  quench kernel is serial; compilation excluded by a warm-up on a small system), the FIRE
  steps, and the energy per particle E/N before and after;
* per descriptor family (rho, phi, u, psi6, theta, z) the best ``|mean r|`` over L of the
  Pearson correlation with the propensity (r computed within each configuration, then
  averaged: :func:`skii_glass.study.pearson_per_configuration` and
  :func:`~skii_glass.study.summarize_pearson`, the paper's Fig. 4a quantity), for the
  thermal and the inherent structures, with the L where it is reached.

Run from the repository root::

    NUMBA_NUM_THREADS=1 python benchmarks/inherent_structures.py [DATASET.npz] \\
        [--n-configurations 4] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import pandas as pd

from skii_glass import StructuralDescriptors, load_propensity
from skii_glass.inherent import minimize_energy
from skii_glass.simulation import random_configuration
from skii_glass.study import pearson_per_configuration, summarize_pearson


def best_per_family(configs, propensity) -> pd.DataFrame:
    desc = StructuralDescriptors().set_output(transform="pandas")
    table = desc.fit_transform(configs)
    table["propensity"] = np.concatenate(propensity).astype(np.float64)
    table["configuration"] = desc.groups_
    s = summarize_pearson(pearson_per_configuration(table))
    rows = []
    for fam, g in s.groupby("descriptor", sort=False):
        k = g["abs_mean_r"].idxmax()
        rows.append((fam, float(g.loc[k, "abs_mean_r"]), float(g.loc[k, "mean_r"]),
                     float(g.loc[k, "L"])))
    return pd.DataFrame(rows, columns=["descriptor", "abs_mean_r", "mean_r", "L"])


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", nargs="?", default=None, help="dataset .npz (default: bundled)")
    p.add_argument("--n-configurations", type=int, default=4)
    p.add_argument("--dt-max", type=float, default=None,
                   help="FIRE's largest time step (default: the model's, 0.03 for ka2d); "
                   "a different value shows how much the minima depend on the minimiser")
    p.add_argument("--json", default=None, help="also write the numbers to this JSON file")
    args = p.parse_args(argv)

    data = load_propensity(args.dataset, descriptors=False)
    n_conf = min(args.n_configurations, len(data.configurations))
    configs = data.configurations[:n_conf]
    prop = data.propensity[:n_conf]
    print(f"dataset {data.path} (sha256 {data.metadata['sha256'][:12]}): "
          f"{data.metadata.get('preset', '?')}, N = {configs[0].n_particles}, "
          f"T = {data.temperature:g}, {n_conf} of {len(data.configurations)} configurations")
    print(f"NUMBA_NUM_THREADS = {os.environ.get('NUMBA_NUM_THREADS', 'unset')}, "
          f"load average before: {os.getloadavg()[0]:.2f}")

    minimize_energy(random_configuration(configs[0].mixture, 64, seed=0))  # compile
    quenched, rows = [], []
    for k, c in enumerate(configs):
        t0, c0 = time.perf_counter(), time.process_time()
        res = minimize_energy(c, dt_max=args.dt_max)
        dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        quenched.append(res.configuration)
        rows.append(dict(configuration=k, seconds=dt, cpu_seconds=cpu, steps=res.n_steps,
                         rebuilds=res.n_rebuilds, e_thermal=res.initial_energy / c.n_particles,
                         e_inherent=res.energy_per_particle, max_force=res.max_force))
    q = pd.DataFrame(rows)
    with pd.option_context("display.width", 120, "display.precision", 5):
        print(q.to_string(index=False))
    print(f"mean time per quench {q.seconds.mean():.2f} s wall, "
          f"{q.cpu_seconds.mean():.2f} s CPU, {1e3 * q.cpu_seconds.sum() / q.steps.sum():.3f} "
          f"ms CPU per step; mean steps {q.steps.mean():.0f}, "
          f"IS E/N = {q.e_inherent.mean():.4f} +- {q.e_inherent.std(ddof=1):.4f} "
          f"(thermal {q.e_thermal.mean():.4f})")

    thermal = best_per_family(configs, prop)
    inherent = best_per_family(quenched, prop)
    both = thermal.merge(inherent, on="descriptor", suffixes=("_thermal", "_inherent"))
    both["gain"] = both["abs_mean_r_inherent"] - both["abs_mean_r_thermal"]
    print("best |mean r| with the propensity over L, per family:")
    with pd.option_context("display.width", 120, "display.precision", 3):
        print(both[["descriptor", "abs_mean_r_thermal", "L_thermal", "abs_mean_r_inherent",
                    "L_inherent", "gain"]].to_string(index=False))
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    out = dict(
        dataset=str(data.path), sha256=data.metadata["sha256"], temperature=data.temperature,
        n_configurations=n_conf, dt_max=args.dt_max, n_particles=configs[0].n_particles,
        quench=q.to_dict(orient="list"), best_per_family=both.to_dict(orient="records"),
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
