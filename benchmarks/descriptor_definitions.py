"""Fig. 4a curves of a propensity dataset under the descriptor definitions of skii_glass.

For rho and phi: the disk-overlap definition (``density="overlap"``, the default) and
sharp counting (``density="count"``). For z, psi6 and theta: the neighbour cutoff
``r < 1.4 sigma_ab`` (the default) and the first minima of the measured g_ab(r)
(``neighbor_cutoff="gr-minimum"``). For every column: the mean over configurations of
|Pearson r| with the propensity and the mean signed r, against L = 0.5, 1.0, ..., 5.0.
Prints the table, the best |r| of each family with its L, the cutoffs found, and writes a
PNG (and optionally JSON).

Usage (from the repository root; default: the bundled dataset)::

    PYTHONPATH=. MPLBACKEND=Agg python benchmarks/descriptor_definitions.py [DATASET.npz] \\
        [--png doc/descriptor_definitions.png] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

from skii_glass import StructuralDescriptors
from skii_glass.datasets import load_propensity
from skii_glass.descriptors import DEFAULT_LENGTHS, DEFAULT_NEIGHBOR_CUTOFF
from skii_glass.study import pearson_per_configuration, summarize_pearson

ROOT = Path(__file__).resolve().parents[1]


def curves(ds, label: str, **params) -> pd.DataFrame:
    """Fig. 4a summary (one row per column) of the descriptors ``params`` select."""
    desc = StructuralDescriptors(**params).set_output(transform="pandas")
    X = desc.fit_transform(ds.configurations)
    X["propensity"] = np.concatenate(ds.propensity).astype(np.float64)
    X["configuration"] = desc.groups_
    s = summarize_pearson(pearson_per_configuration(X))
    s.insert(0, "definition", label)
    return s, getattr(desc, "neighbor_cutoff_", None)


def best(s: pd.DataFrame) -> pd.DataFrame:
    idx = s.groupby(["definition", "descriptor"], sort=False)["mean_abs_r"].idxmax()
    return s.loc[idx, ["definition", "descriptor", "L", "mean_abs_r", "mean_r"]]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dataset", nargs="?", default=None,
                   help="propensity dataset (.npz); default: the bundled one")
    p.add_argument("--png", default=str(ROOT / "doc" / "descriptor_definitions.png"))
    p.add_argument("--json", default=None, help="also write the numbers as JSON")
    args = p.parse_args(argv)

    t0 = time.perf_counter()
    ds = load_propensity(args.dataset, descriptors=False)
    n_conf = len(ds.configurations)
    print(f"dataset {ds.path.name}: {n_conf} configurations x "
          f"{ds.configurations[0].n_particles} particles, T = {ds.temperature:g}, "
          f"tau_alpha = {ds.tau_alpha:g} sweeps")
    lengths = DEFAULT_LENGTHS
    dens = [curves(ds, d, lengths=lengths, descriptors=("rho", "phi"), density=d)[0]
            for d in ("overlap", "count")]
    local = []
    cutoffs = {}
    for label, cut in (("1.4 sigma_ab", DEFAULT_NEIGHBOR_CUTOFF), ("gr-minimum", "gr-minimum")):
        s, used = curves(ds, label, lengths=lengths, neighbor_cutoff=cut,
                         descriptors=("z", "psi6", "theta"))
        local.append(s)
        cutoffs[label] = np.broadcast_to(np.asarray(used, float), (3, 3)).tolist()
    table = pd.concat(dens + local, ignore_index=True)
    elapsed = time.perf_counter() - t0

    pd.set_option("display.width", 120)
    cols = ["definition", "feature", "mean_abs_r", "mean_r", "std_r", "n_constant"]
    print("\nmean over configurations of |r| (mean_abs_r) and of the signed r (mean_r):")
    print(table[cols].round(3).to_string(index=False))
    print("\nbest |r| per family and definition:")
    print(best(table).round(3).to_string(index=False))
    species = ds.configurations[0].mixture.species
    print("\nneighbour cutoffs from the first minima of g_ab (units of sigma_ab; pairs "
          "without a clear minimum at 1.4):")
    print(pd.DataFrame(cutoffs["gr-minimum"], index=species, columns=species).round(3))
    print(f"\n{elapsed:.1f} s; load average {os.getloadavg()[0]:.2f}")

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 3, figsize=(13, 3.8), constrained_layout=True)
    style = {"overlap": "-", "count": "--", "1.4 sigma_ab": "--", "gr-minimum": "-"}
    colour = {"rho": "C0", "phi": "C1", "z": "C2", "psi6": "C3", "theta": "C4"}
    for s in dens:
        for d, g in s.groupby("descriptor", sort=False):
            lab = f"{d} ({g['definition'].iloc[0]})"
            kw = {"ls": style[g["definition"].iloc[0]], "color": colour[d], "marker": "o",
                  "ms": 3}
            ax[0].plot(g["L"], g["mean_abs_r"], label=lab, **kw)
            ax[1].plot(g["L"], g["mean_r"], label=lab, **kw)
    for s in local:
        for d, g in s.groupby("descriptor", sort=False):
            ax[2].plot(g["L"], g["mean_abs_r"], ls=style[g["definition"].iloc[0]],
                       color=colour[d], marker="o", ms=3,
                       label=f"{d} ({g['definition'].iloc[0]})")
    ax[0].set_ylabel("mean over configurations of |r|")
    ax[1].set_ylabel("mean over configurations of r")
    ax[2].set_ylabel("mean over configurations of |r|")
    ax[1].axhline(0, color="0.6", lw=0.8)
    titles = ("rho, phi: |r|", "rho, phi: signed r", "z, psi6, theta: |r| by cutoff")
    for a, t in zip(ax, titles, strict=True):
        a.set_xlabel("L")
        a.set_title(t, fontsize=10)
        a.legend(fontsize=7)
    ymax = max(ax[0].get_ylim()[1], ax[2].get_ylim()[1])
    ax[0].set_ylim(0, ymax)
    ax[2].set_ylim(0, ymax)
    fig.suptitle(f"{ds.path.name}: {n_conf} configurations, T = {ds.temperature:g}",
                 fontsize=10)
    fig.savefig(args.png, dpi=110)
    print(f"wrote {args.png}")
    if args.json:
        out = {"dataset": str(ds.path), "temperature": ds.temperature,
               "curves": table.to_dict(orient="records"),
               "best": best(table).to_dict(orient="records"), "cutoffs": cutoffs}
        Path(args.json).write_text(json.dumps(out, indent=1, default=float))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
