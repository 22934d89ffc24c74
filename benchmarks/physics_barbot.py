"""Is a mixture a sound glass-former at T? Crystallisation, quasicrystal and demixing checks.

Written for the reconstructed ``barbot_ternary`` preset (SPEC.md section 3: its binary S/L
parent is a known decagonal quasicrystal former), but any preset works (``--preset ka2d``
gives the baseline). Protocol for one state point:

1. random lattice start, melted at T = 5 (``skii_glass.simulation.equilibrate``), then
   ``--equilibration`` sweeps at T with species-swap moves (``--swap-probability``, 0.2 by
   default; swaps speed up ordering as much as relaxation, so they make crystallisation
   and demixing *easier* to see, not harder);
2. ``--production`` sweeps of plain Metropolis MC (no swaps), positions stored at time
   origins every ``max_lag / 4`` and at log-spaced lags after each origin;
3. on the stored origin frames and the final frame: partial g_ab(r) (first peak, first
   minimum), S(k) (bin mean and the largest single-wavevector value: a Bragg peak is of
   order N, a liquid's largest value a few tens), psi6 and psi10 (local = <|psi_i|>,
   global = |<psi_i>|, also local per species), the demixing indicator at two cell sizes
   (well above 1 and growing with the cell: demixing);
4. a rough relaxation time: F_s and F_s^CR (cage-relative, neighbours r < 1.4 sigma_ab)
   at k = 2 pi and at the S(k) peak, averaged over origins, tau at F = 1/e.

Prints ``name value unit`` lines and writes everything (with the g(r), S(k) and energy
curves) to a JSON file; ``--config-out`` also writes the final configuration (extended
XYZ) for pictures.

Usage::

    PYTHONPATH=. python benchmarks/physics_barbot.py --temperature 0.4 \\
        --equilibration 100000 --production 20000 --out /tmp/barbot_T0.4.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
import warnings

import numpy as np

from skii_glass.configuration import Configuration
from skii_glass.dynamics import analyze_relaxation
from skii_glass.io import read_configuration, write_configuration
from skii_glass.models import Mixture, get_preset
from skii_glass.simulation import energy_drift, equilibrate, log_linear_times, run_mc
from skii_glass.structure import (
    bond_order,
    demixing_indicator,
    radial_distribution,
    structure_factor,
)


def _lags(max_lag: int, per_decade: int = 8) -> np.ndarray:
    """0 and log-spaced integer lags up to ``max_lag``."""
    n = int(np.ceil(np.log10(max_lag) * per_decade)) + 1
    return np.unique(np.concatenate([[0], np.rint(np.logspace(0, np.log10(max_lag), n))])
                     ).astype(np.int64)


def _first_peak(r: np.ndarray, g: np.ndarray) -> float:
    return float(r[int(np.argmax(g))])


def delaunay_pairs(config: Configuration, margin: float = 3.0) -> np.ndarray:
    """Neighbour pairs ``(i, j)``, ``i < j``, of the periodic Delaunay triangulation.

    Parameter-free (no per-pair cutoff, which with non-additive ``sigma_ab`` would count
    more shells for some pairs than for others). Periodic images within ``margin`` of the
    box are added before triangulating; edges are mapped back to the original particles.
    """
    from scipy.spatial import Delaunay

    pos = np.mod(config.positions, config.box)
    # the central copy first, so its particles are indices 0..N-1 of the triangulation
    shifts = [(0, 0)] + [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if dx or dy]
    pts, idx = [], []
    for dx, dy in shifts:
        q = pos + np.array([dx, dy]) * config.box
        keep = np.all((q > -margin) & (q < config.box + margin), axis=1)
        pts.append(q[keep])
        idx.append(np.nonzero(keep)[0])
    pts, idx = np.concatenate(pts), np.concatenate(idx)
    tri = Delaunay(pts).simplices
    e = np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [0, 2]]])
    n = pos.shape[0]
    e = e[(e[:, 0] < n) | (e[:, 1] < n)]  # edges touching the central copy
    pairs = np.sort(idx[e], axis=1)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    return np.unique(pairs, axis=0)


def contact_enrichment(configs) -> dict:
    """Chemical short-range order as ``p(b | a) / x_b`` (= 1 - Warren-Cowley alpha_ab).

    ``p(b | a)`` is the fraction of the Delaunay neighbours of ``a`` particles that are
    ``b``, pooled over ``configs``; ``x_b`` the global fraction of ``b``. Random mixing
    gives 1 for every pair. A good glass-forming mixture, whose unlike pairs are favoured,
    has like pairs depleted (< 1; ka2d: 0.2-0.8) and unlike pairs enriched (> 1); like
    pairs enriched (> 1) mean like species cluster, the first step of demixing.
    """
    c0 = configs[0]
    n_sp = c0.mixture.n_species
    counts = np.zeros((n_sp, n_sp))
    for c in configs:
        pr = delaunay_pairs(c)
        a, b = c.species[pr[:, 0]], c.species[pr[:, 1]]
        np.add.at(counts, (a, b), 1.0)
        np.add.at(counts, (b, a), 1.0)
    x = np.bincount(c0.species, minlength=n_sp) / c0.n_particles
    ratio = counts / counts.sum(axis=1, keepdims=True) / x[None, :]
    names = c0.mixture.species
    # the matrix is symmetric up to noise (x_a p(b|a) = x_b p(a|b)), so i <= j suffices
    return {f"{names[i]}{names[j]}": float(ratio[i, j])
            for i in range(n_sp) for j in range(i, n_sp)}


def _frames(res, origins: np.ndarray, species: np.ndarray, mixture) -> list[Configuration]:
    """Configurations (wrapped into the box) at the origins and at the end."""
    box = res.final.box
    want = np.unique(np.append(origins, res.times[-1]))
    out = []
    for t in want:
        i = int(np.searchsorted(res.times, t))
        out.append(Configuration(np.mod(res.positions[i], box), species, box, mixture))
    return out


def modified_mixture(preset: str, pairs, density: float | None = None) -> Mixture:
    """``preset`` with some pair constants replaced: ``pairs`` holds strings
    ``"a,b,sigma,epsilon"`` (species names; an empty field keeps the preset's value), and
    optionally another number density. The name gets a ``+mod`` suffix so results never
    pass for the preset's."""
    mix = get_preset(preset)
    if not pairs and density is None:
        return mix
    sigma, eps = mix.sigma.copy(), mix.epsilon.copy()
    for spec in pairs:
        fields = spec.split(",")
        if len(fields) != 4:
            raise ValueError(f"--pair wants 'a,b,sigma,epsilon', got {spec!r}")
        i, j = mix.species_index(fields[:2])
        for arr, text in ((sigma, fields[2]), (eps, fields[3])):
            if text.strip():
                arr[i, j] = arr[j, i] = float(text)
    rho = mix.density if density is None else float(density)
    return dataclasses.replace(mix, sigma=sigma, epsilon=eps, density=rho,
                               name=mix.name + "+mod")


def check_state_point(
    preset: str | Mixture,
    temperature: float,
    *,
    n_particles: int = 1000,
    delta: float = 0.1,
    equilibration: int = 50_000,
    swap_probability: float = 0.2,
    production: int = 10_000,
    max_lag: int | None = None,
    seed: int = 1,
    progress: bool = False,
    config_out: str | None = None,
    cell_sizes=(3.0, 5.0, 10.0),
) -> dict:
    """Run the protocol of the module docstring at one state point; JSON-friendly dict."""
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        config, eq = equilibrate(
            preset, temperature, n_particles=n_particles, n_sweeps=equilibration,
            max_displacement=delta, swap_probability=swap_probability, seed=seed,
            progress=progress,
        )
    t_eq = time.perf_counter() - t0
    mix = config.mixture

    max_lag = production // 2 if max_lag is None else int(max_lag)
    spacing = max(1, max_lag // 4)
    origins = np.arange(0, production - max_lag + 1, spacing, dtype=np.int64)
    lags = _lags(max_lag)
    sample = np.unique(np.concatenate([(origins[:, None] + lags[None, :]).ravel(),
                                       log_linear_times(production, 4, 20)]))
    res = run_mc(config, temperature, production, max_displacement=delta,
                 seed=np.random.SeedSequence([seed, 7]), sample_times=sample,
                 progress=progress)
    t_prod = time.perf_counter() - t0 - t_eq
    species = res.final.species
    frames = _frames(res, origins, species, mix)

    # --- structure, averaged over the frames (independent-ish: spaced by max_lag / 4)
    rdf = radial_distribution(frames, r_max=min(6.0, float(res.final.box.min() / 2)),
                              bin_width=0.02)
    pairs = {f"{a}{b}": (a, b) for a, b in rdf.partial}
    gr = {"total": {"first_peak": _first_peak(rdf.r, rdf.g),
                    "first_min": rdf.first_minimum()}}
    for name, key in pairs.items():
        gr[name] = {"first_peak": _first_peak(rdf.r, rdf.partial[key]),
                    "first_min": rdf.first_minimum(key),
                    "peak_height": float(rdf.partial[key].max())}
    k_sk, s_k = structure_factor(frames, k_max=14.0)
    peak_mask = k_sk > 3.0
    k_peak = float(k_sk[peak_mask][np.argmax(s_k[peak_mask])])
    # Bragg check: the largest single-wavevector S of each frame separately (averaging
    # frames would dilute a peak that only the last frame has).
    bragg = []
    for c in (frames[0], frames[-1]):
        kk, _, smax = structure_factor(c, k_max=14.0, return_max=True)
        j = int(np.argmax(smax))
        bragg.append({"s_max": float(smax[j]), "k": float(kk[j])})
    # low-k S(k) of each species: demixing makes S_aa(k -> 0) grow
    low_k = {}
    for s in mix.species:
        kk, ss = structure_factor(frames, k_max=1.5, species=s)
        low_k[s] = float(ss[0])
    orders = {}
    for n in (6, 10, 5, 4):
        loc, glob = [], []
        per_species = {s: [] for s in mix.species}
        for c in frames:
            psi = bond_order(c, n)
            loc.append(float(np.abs(psi).mean()))
            glob.append(float(np.abs(psi.mean())))
            for code, s in enumerate(mix.species):
                per_species[s].append(float(np.abs(psi[c.species == code]).mean()))
        orders[f"psi{n}"] = {
            "local": float(np.mean(loc)), "global_mean": float(np.mean(glob)),
            "global_max": float(np.max(glob)), "global_final": glob[-1],
            "local_by_species": {s: float(np.mean(v)) for s, v in per_species.items()},
        }
    demix = {f"cell{cs:g}": {s: float(np.mean([demixing_indicator(c, cell_size=cs)[s]
                                                for c in frames])) for s in mix.species}
             for cs in cell_sizes}

    chem = contact_enrichment(frames)

    # --- rough relaxation
    with warnings.catch_warnings(record=True) as caught2:
        warnings.simplefilter("always", RuntimeWarning)
        rel = analyze_relaxation(res.times, res.positions, species, res.final.box, mix.sigma,
                                 k=(2 * np.pi, k_peak), origins=origins, lags=lags)

    e = res.energies
    eq_e = eq["energies"]
    blocks = [b.mean() for b in np.array_split(e, 10)]
    out = {
        "preset": mix.name,
        "sigma": mix.sigma.tolist(),
        "epsilon": mix.epsilon.tolist(),
        "temperature": temperature,
        "n_particles": n_particles,
        "counts": dict(zip(mix.species, np.bincount(species, minlength=mix.n_species)
                           .tolist(), strict=True)),
        "density": mix.density,
        "delta": delta,
        "seed": seed,
        "equilibration_sweeps": equilibration,
        "swap_probability": swap_probability,
        "eq_energy_first_1000": float(np.mean(eq_e[:1000])),
        "eq_energy_second_half": float(np.mean(eq_e[eq_e.size // 2:])),
        "eq_flat": eq.get("flat"),
        "eq_acceptance": float(eq["acceptance"]),
        "eq_swap_acceptance": float(eq["swap_acceptance"]),
        "production_sweeps": production,
        "energy_per_particle": float(e.mean()),
        "energy_per_particle_sem": float(np.std(blocks, ddof=1) / np.sqrt(len(blocks))),
        "production_drift_t": float(energy_drift(e)["t_value"]),
        "acceptance": float(res.acceptance),
        "trial_moves_per_second": float(res.trial_moves_per_second),
        "n_frames_structure": len(frames),
        "gr": gr,
        "sk_peak_k": k_peak,
        "sk_peak": float(s_k[peak_mask].max()),
        "sk_lowest_k": [float(k_sk[0]), float(s_k[0])],
        "bragg_first_frame": bragg[0],
        "bragg_final_frame": bragg[1],
        "s_aa_lowest_k": low_k,
        "bond_order": orders,
        "demixing": demix,
        "contact_enrichment": chem,
        "k": rel.k.tolist(),
        "tau": rel.tau.tolist(),
        "tau_cr": rel.tau_cr.tolist(),
        "max_lag": max_lag,
        "n_origins": int(origins.size),
        "fs_cr_at_max_lag": rel.fs_cr[:, -1].tolist(),
        "energy_error": float(res.energy_error),
        "wall_seconds": {"equilibration": round(t_eq, 1), "production": round(t_prod, 1),
                         "total": round(time.perf_counter() - t0, 1)},
        "warnings": [str(w.message) for w in [*caught, *caught2]],
        "curves": {
            "r": rdf.r.tolist(),
            "g": rdf.g.tolist(),
            "g_partial": {n: rdf.partial[k].tolist() for n, k in pairs.items()},
            "k": k_sk.tolist(),
            "s": s_k.tolist(),
            "eq_energy_blocks": [float(b.mean()) for b in np.array_split(eq_e, 50)],
            "lags": rel.times.tolist(),
            "fs_cr": rel.fs_cr.tolist(),
            "fs": rel.fs.tolist(),
        },
    }
    if config_out:
        write_configuration(config_out, res.final)
    return out


def _print_lines(r: dict) -> None:
    """``name value unit`` lines for the scalar results."""
    def line(name, value, unit="-"):
        print(f"{name} {value:.6g} {unit}" if isinstance(value, float) else
              f"{name} {value} {unit}")

    line("temperature", r["temperature"], "eps_SL")
    line("eq_energy_first_1000", r["eq_energy_first_1000"], "eps/particle")
    line("eq_energy_second_half", r["eq_energy_second_half"], "eps/particle")
    line("eq_flat", str(r["eq_flat"]))
    line("eq_acceptance", r["eq_acceptance"])
    line("eq_swap_acceptance", r["eq_swap_acceptance"])
    line("energy_per_particle", r["energy_per_particle"], "eps/particle")
    line("energy_per_particle_sem", r["energy_per_particle_sem"], "eps/particle")
    line("production_drift_t", r["production_drift_t"])
    line("acceptance", r["acceptance"])
    for n, o in r["bond_order"].items():
        line(f"{n}_local", o["local"])
        line(f"{n}_global_mean", o["global_mean"])
        line(f"{n}_global_max", o["global_max"])
        for s, v in o["local_by_species"].items():
            line(f"{n}_local_{s}", v)
    line("sk_peak", r["sk_peak"])
    line("sk_peak_k", r["sk_peak_k"], "1/sigma_SL")
    for which in ("bragg_first_frame", "bragg_final_frame"):
        line(f"{which}_s_max", r[which]["s_max"])
        line(f"{which}_k", r[which]["k"], "1/sigma_SL")
    for s, v in r["s_aa_lowest_k"].items():
        line(f"s_{s}{s}_lowest_k", v)
    for cs, d in r["demixing"].items():
        for s, v in d.items():
            line(f"demixing_{cs}_{s}", v, "x_random")
    for name, g in r["gr"].items():
        line(f"gr_{name}_first_peak", g["first_peak"], "sigma_SL")
        line(f"gr_{name}_first_min", g["first_min"], "sigma_SL")
    for k, t, tc in zip(r["k"], r["tau"], r["tau_cr"], strict=True):
        line(f"tau_k{k:.3g}", float(t), "sweeps")
        line(f"tau_cr_k{k:.3g}", float(tc), "sweeps")
    for pair, v in r["contact_enrichment"].items():
        line(f"contact_enrichment_{pair}", v, "x_random")
    line("wall_total", float(r["wall_seconds"]["total"]), "s")


def plot(json_paths, out_png: str, snapshots=None) -> None:
    """Partial g_ab(r) of each result file (one row per file), beside a snapshot of it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import EllipseCollection

    results = []
    for path in json_paths:
        with open(path) as fh:
            results.append(json.load(fh))
    snapshots = list(snapshots or [])
    if snapshots and len(snapshots) != len(results):
        raise ValueError("give one snapshot per result file, or none")
    n_col = 2 if snapshots else 1
    fig, axes = plt.subplots(len(results), n_col, figsize=(5.2 * n_col + 1.5, 3.6 * len(results)),
                             squeeze=False, gridspec_kw={"width_ratios": [1.6, 1][:n_col]})
    for row, r in enumerate(results):
        ax = axes[row, 0]
        c = r["curves"]
        for name, g in c["g_partial"].items():
            ax.plot(c["r"], g, lw=1, label=f"g_{name}")
        ax.plot(c["r"], c["g"], "k", lw=1.5, label="g total")
        ax.set_xlim(0.4, 4.0)
        ax.set_xlabel("r (sigma units of the model)")
        ax.set_ylabel("g(r)")
        ax.set_title(f"{r['preset']} N={r['n_particles']} T={r['temperature']:g} "
                     f"({r['equilibration_sweeps']:.0e} eq. sweeps): "
                     f"E/N={r['energy_per_particle']:.3f}, "
                     f"|<psi10>|={r['bond_order']['psi10']['global_mean']:.2f}",
                     fontsize=8)
        ax.legend(fontsize=7, ncol=2)
        if not snapshots:
            continue
        conf = read_configuration(snapshots[row])
        ax = axes[row, 1]
        colors = ["tab:blue", "tab:orange", "tab:green"]
        sizes = conf.mixture.sigma.diagonal()
        for code in range(conf.mixture.n_species):
            m = conf.species == code
            d = np.full(int(m.sum()), sizes[code])  # discs of diameter sigma_aa
            ax.add_collection(EllipseCollection(
                d, d, 0.0, units="xy", offsets=conf.positions[m],
                offset_transform=ax.transData, facecolors=colors[code % 3]))
        ax.set_xlim(0, conf.box[0])
        ax.set_ylim(0, conf.box[1])
        ax.set_aspect("equal")
        names = ", ".join(f"{s} {c.split(':')[1]}" for s, c in
                          zip(conf.mixture.species, colors, strict=False))
        ax.set_title(f"final configuration ({names})", fontsize=8)
    fig.tight_layout()
    fig.savefig(out_png, dpi=75)
    plt.close(fig)
    try:  # a palette PNG is a third of the size (the figure is committed to the docs)
        from PIL import Image

        with Image.open(out_png) as im:
            small = im.convert("RGB").quantize(colors=128)
        small.save(out_png, optimize=True)
    except ImportError:
        pass


def markdown_tables(json_paths) -> str:
    """The tables of doc/physics_barbot.md from result files."""
    rs = []
    for path in json_paths:
        with open(path) as fh:
            rs.append(json.load(fh))

    for r in rs:
        # modified models: say what was changed, so rows never pass for the preset's
        if r["preset"].endswith("+mod") and "sigma" in r:
            sg, names = np.array(r["sigma"]), list(r["s_aa_lowest_k"])
            base = get_preset(r["preset"][:-4])
            diff = [f"sigma_{names[i]}{names[j]} {sg[i, j]:.4g}"
                    for i in range(len(names)) for j in range(i, len(names))
                    if not np.isclose(sg[i, j], base.sigma[i, j])]
            if not np.isclose(r["density"], base.density):
                diff.append(f"rho {r['density']:g}")
            r["preset"] = f"{r['preset']} ({', '.join(diff)})"

    def f(x, fmt=".3f"):
        return "n/a" if x is None or x != x else format(x, fmt)

    def tau(r, i):
        t = r["tau_cr"][i]
        return f(t, ".0f") if t == t else f"> {r['max_lag']} (F = {r['fs_cr_at_max_lag'][i]:.2f})"

    out = ["| model | N | T | eq. sweeps (swap) | E/N (eq. 2nd half) | E/N production | "
           "acceptance | swap acceptance | tau_alpha^CR k=2pi | tau plain F_s k=2pi |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rs:
        out.append(
            f"| {r['preset']} | {r['n_particles']} | {r['temperature']:g} | "
            f"{r['equilibration_sweeps']:.0e} | {f(r['eq_energy_second_half'])} | "
            f"{f(r['energy_per_particle'], '.4f')} +- {f(r['energy_per_particle_sem'], '.4f')}"
            f" | {f(r['acceptance'])} | {f(r['eq_swap_acceptance'], '.2g')} | {tau(r, 0)} | "
            f"{f(r['tau'][0], '.0f')} |")
    out += ["", "| model | N | T | psi6 local | psi6 global (mean / max) | psi10 local | "
            "psi10 global (mean / max) | psi10 local per species | S(k) peak (k) | "
            "largest single-k S, first / final frame (k) |",
            "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rs:
        b = r["bond_order"]
        per = " ".join(f"{s} {v:.2f}" for s, v in b["psi10"]["local_by_species"].items())
        bf, bl = r["bragg_first_frame"], r["bragg_final_frame"]
        out.append(
            f"| {r['preset']} | {r['n_particles']} | {r['temperature']:g} | "
            f"{f(b['psi6']['local'], '.2f')} | {f(b['psi6']['global_mean'], '.3f')} / "
            f"{f(b['psi6']['global_max'], '.3f')} | {f(b['psi10']['local'], '.2f')} | "
            f"{f(b['psi10']['global_mean'], '.3f')} / {f(b['psi10']['global_max'], '.3f')} | "
            f"{per} | {r['sk_peak']:.2f} ({r['sk_peak_k']:.2f}) | "
            f"{bf['s_max']:.1f} ({bf['k']:.2f}) / {bl['s_max']:.1f} ({bl['k']:.2f}) |")
    out += ["", "| model | N | T | demixing indicator per species, cells 3 / 5 / 10 (/ 20) | "
            "S_aa at the smallest k | contact enrichment p(b given a) / x_b |",
            "|---|---|---|---|---|---|"]
    for r in rs:
        sp = list(r["s_aa_lowest_k"])
        dm = "; ".join(f"{s} " + " / ".join(f"{d[s]:.2f}" for d in r["demixing"].values())
                       for s in sp)
        low = " ".join(f"{s} {v:.2f}" for s, v in r["s_aa_lowest_k"].items())
        ce = " ".join(f"{p} {v:.2f}" for p, v in r["contact_enrichment"].items())
        out.append(f"| {r['preset']} | {r['n_particles']} | {r['temperature']:g} | {dm} | "
                   f"{low} | {ce} |")
    # one g(r) table per set of species (the pair names differ between models)
    groups: dict = {}
    for r in rs:
        groups.setdefault(tuple(p for p in r["gr"] if p != "total"), []).append(r)
    for pairs, group in groups.items():
        out += ["", "| model | N | T | " + " | ".join(f"g_{p} peak / min" for p in pairs) +
                " | total |", "|---|---|---|" + "---|" * (len(pairs) + 1)]
        for r in group:
            g = r["gr"]
            cells = " | ".join(f"{g[p]['first_peak']:.2f} / {g[p]['first_min']:.2f}"
                               for p in pairs)
            out.append(f"| {r['preset']} | {r['n_particles']} | {r['temperature']:g} | "
                       f"{cells} | {g['total']['first_peak']:.2f} / "
                       f"{g['total']['first_min']:.2f} |")
    return "\n".join(out)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--plot", nargs="+", metavar="JSON", default=None,
                   help="only plot partial g(r) of these result files to --figure")
    p.add_argument("--chem", nargs="+", metavar="XYZ", default=None,
                   help="only print the contact enrichment of these configurations")
    p.add_argument("--table", nargs="+", metavar="JSON", default=None,
                   help="only print the markdown tables of these result files")
    p.add_argument("--figure", default="physics_barbot_gr.png")
    p.add_argument("--snapshot", nargs="+", default=None,
                   help="with --plot: one .xyz per result file, drawn beside its g(r)")
    p.add_argument("--preset", default="barbot_ternary")
    p.add_argument("--pair", action="append", default=[], metavar="a,b,sigma,eps",
                   help="try a modified model: replace one pair's constants (repeatable)")
    p.add_argument("--density", type=float, default=None,
                   help="try a modified model: another number density")
    p.add_argument("--temperature", type=float)
    p.add_argument("--n-particles", type=int, default=1000)
    p.add_argument("--delta", type=float, default=0.1)
    p.add_argument("--equilibration", type=int, default=50_000,
                   help="sweeps at T with swaps")
    p.add_argument("--swap-probability", type=float, default=0.2)
    p.add_argument("--production", type=int, default=10_000, help="plain MC sweeps")
    p.add_argument("--max-lag", type=int, default=None, help="default production / 2")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=None, help="write the JSON result here")
    p.add_argument("--config-out", default=None, help="final configuration (.xyz)")
    p.add_argument("--cell-sizes", default="3,5,10",
                   help="comma-separated cell sides for the demixing indicator")
    p.add_argument("--progress", action="store_true")
    a = p.parse_args(argv)
    if a.table:
        print(markdown_tables(a.table))
        return 0
    if a.chem:
        for path in a.chem:
            for pair, v in contact_enrichment([read_configuration(path)]).items():
                print(f"{os.path.basename(path)} contact_enrichment_{pair} {v:.4f} x_random")
        return 0
    if a.plot:
        plot(a.plot, a.figure, a.snapshot)
        return 0
    if a.temperature is None:
        p.error("--temperature is required (unless --plot)")
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    res = check_state_point(
        modified_mixture(a.preset, a.pair, a.density), a.temperature,
        n_particles=a.n_particles, delta=a.delta,
        equilibration=a.equilibration, swap_probability=a.swap_probability,
        production=a.production, max_lag=a.max_lag, seed=a.seed, progress=a.progress,
        config_out=a.config_out,
        cell_sizes=tuple(float(x) for x in a.cell_sizes.split(",")),
    )
    res["load_average_after"] = os.getloadavg()
    if a.out:
        with open(a.out + ".tmp", "w") as fh:
            json.dump(res, fh)
            fh.write("\n")
        os.replace(a.out + ".tmp", a.out)
    _print_lines(res)
    for w in res["warnings"]:
        print(f"warning: {w}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
