"""Relaxation of ka2d under Metropolis MC, to set beside the reference table of SPEC.md.

For one state point: random lattice start, melt at T = 5, equilibrate at T, then a
production run whose positions are stored at time origins every ``max_lag / 8`` sweeps plus
log-spaced lags (10 per decade) after each origin, as the C reference ``dyn2d`` does. For
every origin and lag: displacements with the centre-of-mass drift removed, cage-relative
displacements (cage = neighbours r < 1.4 sigma_ab at the origin), F_s and F_s^CR
(= <J0(k |dr|)>) at k = 2 pi and 7.3, MSD and alpha2; all averaged over origins; tau at
F = 1/e interpolated in ln t. Also E/N and acceptance of the production run and structural
checks (psi6, psi10, demixing, largest S(k) of a single wavevector).

Usage (one state point; a JSON line is printed at the end and written to --out)::

    PYTHONPATH=. python benchmarks/physics_ka2d.py --temperature 2.0 --equilibration 100000 \\
        --max-lag 5000 --out /tmp/phys_T2.json

Reference table (SPEC.md section 3; C program ``dyn2d``, N = 1290, delta = 0.1):
T = 2.0: tau^CR 889, tau 548, E/N -1.041, acc 0.73 (1e5 sweeps of equilibration);
T = 1.0: 2920, 1360, -1.866, 0.67 (2e5); T = 0.7: 8180, 2780, -2.157, 0.64 (3e5).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

from skii_glass.dynamics import analyze_relaxation
from skii_glass.simulation import equilibrate, run_mc
from skii_glass.structure import (
    demixing_indicator,
    global_bond_order,
    radial_distribution,
    structure_factor,
)

REFERENCE = {  # T: (delta, tau_cr, tau, E/N, acceptance, equilibration)
    2.0: (0.1, 889, 548, -1.041, 0.73, 100_000),
    1.0: (0.1, 2920, 1360, -1.866, 0.67, 200_000),
    0.7: (0.1, 8180, 2780, -2.157, 0.64, 300_000),
    0.6: (0.1, 14300, 4480, -2.259, 0.62, 400_000),
    0.5: (0.1, 40700, 9170, -2.371, 0.60, 800_000),
}


def log_lags(max_lag: int, per_decade: int = 10) -> np.ndarray:
    """0 and log-spaced integer lags (``per_decade`` per decade) up to ``max_lag``."""
    n = int(np.ceil(np.log10(max_lag) * per_decade)) + 1
    return np.unique(np.concatenate([[0], np.rint(np.logspace(0, np.log10(max_lag), n))])
                     ).astype(np.int64)


def _late_peak(lags: np.ndarray, a: np.ndarray) -> list:
    """[value, lag] of the maximum of ``a`` after its first local minimum."""
    # skip lag 0 (alpha2 = 0 there), then find where alpha2 starts to rise again
    rising = np.nonzero(np.diff(a[1:]) > 0)[0]
    start = int(rising[0]) + 1 if rising.size else 1
    i = start + int(np.argmax(a[start:]))
    return [float(a[i]), int(lags[i])]


def measure_relaxation(
    temperature: float,
    *,
    n_particles: int = 1290,
    delta: float = 0.1,
    equilibration: int = 100_000,
    max_lag: int = 5000,
    production: int | None = None,
    ks=(2 * np.pi, 7.3),
    cutoff: float = 1.4,
    seed: int = 1,
    checkpoint_dir: str | None = None,
    progress: bool = False,
) -> dict:
    """Equilibrate ka2d at ``temperature`` and measure its relaxation (see module doc).

    ``production`` defaults to ``4 * max_lag`` (25 time origins spaced ``max_lag / 8``).
    Returns a JSON-friendly dict.
    """
    t_start = time.perf_counter()
    production = 4 * max_lag if production is None else int(production)
    ckpt = None
    if checkpoint_dir:
        os.makedirs(checkpoint_dir, exist_ok=True)
        ckpt = os.path.join(checkpoint_dir, f"eq_T{temperature:g}_d{delta:g}_s{seed}.npz")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        config, eq = equilibrate(
            "ka2d", temperature, n_particles=n_particles, n_sweeps=equilibration,
            max_displacement=delta, seed=seed, checkpoint=ckpt, progress=progress,
        )
    t_eq = time.perf_counter() - t_start

    spacing = max(1, max_lag // 8)
    origins = np.arange(0, production - max_lag + 1, spacing, dtype=np.int64)
    lags = log_lags(max_lag)
    sample = np.unique((origins[:, None] + lags[None, :]).ravel())
    res = run_mc(config, temperature, production, max_displacement=delta,
                 seed=np.random.SeedSequence([seed, 7]), sample_times=sample,
                 progress=progress)
    t_prod = time.perf_counter() - t_start - t_eq

    with warnings.catch_warnings(record=True) as caught2:
        warnings.simplefilter("always", RuntimeWarning)
        rel = analyze_relaxation(res.times, res.positions, config.species, config.box,
                                 config.mixture.sigma, k=ks, cutoff=cutoff,
                                 origins=origins, lags=lags)
    ks = rel.k
    tau, tau_cr = rel.tau.tolist(), rel.tau_cr.tolist()
    alpha2, alpha2_cr = rel.alpha2, rel.alpha2_cr
    acc = {"m2": rel.msd, "m2cr": rel.msd_cr}
    fs, fs_cr = rel.fs, rel.fs_cr
    n_o = origins.size

    final = res.final
    k_sk, s_k, smax = structure_factor(final, k_max=12.0, return_max=True)
    rdf = radial_distribution(final, r_max=5.0, bin_width=0.02)
    first_min = {"total": rdf.first_minimum()}
    first_min.update({f"{a}{b}": rdf.first_minimum((a, b)) for a, b in rdf.partial})
    out = {
        "temperature": temperature,
        "n_particles": n_particles,
        "delta": delta,
        "equilibration_sweeps": equilibration,
        "equilibration_flat": bool(eq.get("flat")) if eq.get("flat") is not None else None,
        "equilibration_drift": {k: float(v) for k, v in (eq.get("drift") or {}).items()
                                if np.isscalar(v)},
        "production_sweeps": production,
        "n_origins": int(n_o),
        "max_lag": max_lag,
        "seed": seed,
        "energy_per_particle": float(res.energy_per_particle),
        # error bar: standard error of 10 block means of the production energies
        "energy_per_particle_sem": float(
            np.std([b.mean() for b in np.array_split(res.energies, 10)], ddof=1) / np.sqrt(10)
        ),
        "acceptance": float(res.acceptance),
        "trial_moves_per_second": float(res.trial_moves_per_second),
        "k": ks.tolist(),
        "tau": [float(x) for x in tau],
        "tau_cr": [float(x) for x in tau_cr],
        "alpha2_max": float(alpha2.max()),
        "alpha2_max_lag": int(lags[int(np.argmax(alpha2))]),
        # MC's first sweeps are very non-Gaussian (many particles have not moved yet); the
        # heterogeneity peak is the maximum after alpha2's first local minimum.
        "alpha2_peak": _late_peak(lags, alpha2),
        "alpha2_cr_max": float(alpha2_cr.max()),
        "alpha2_cr_max_lag": int(lags[int(np.argmax(alpha2_cr))]),
        "psi6": global_bond_order(final, 6),
        "psi10": global_bond_order(final, 10),
        "demixing": demixing_indicator(final),
        "sk_single_max": float(smax.max()),
        "sk_peak_k": float(k_sk[np.argmax(np.where(k_sk > 3.0, s_k, 0.0))]),
        "sk_peak": float(np.max(np.where(k_sk > 3.0, s_k, 0.0))),
        "gr_first_minimum": first_min,
        "wall_seconds": {"equilibration": round(t_eq, 1), "production": round(t_prod, 1),
                         "total": round(time.perf_counter() - t_start, 1)},
        "warnings": [str(w.message) for w in [*caught, *caught2]],
        "curves": {
            "lags": lags.tolist(),
            "fs": fs.tolist(),
            "fs_cr": fs_cr.tolist(),
            "msd": acc["m2"].tolist(),
            "msd_cr": acc["m2cr"].tolist(),
            "alpha2": alpha2.tolist(),
        },
    }
    ref = REFERENCE.get(round(temperature, 3))
    if ref is not None and ref[0] == delta:
        out["reference"] = {"tau_cr": ref[1], "tau": ref[2], "energy_per_particle": ref[3],
                            "acceptance": ref[4], "equilibration": ref[5]}
        out["ratio_to_reference"] = {"tau_cr_k2pi": tau_cr[0] / ref[1],
                                     "tau_k2pi": tau[0] / ref[2]}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--temperature", type=float, required=True)
    p.add_argument("--n-particles", type=int, default=1290)
    p.add_argument("--delta", type=float, default=0.1)
    p.add_argument("--equilibration", type=int, default=None,
                   help="sweeps (default: as in the reference table, else 1e5)")
    p.add_argument("--max-lag", type=int, required=True, help="about 5 tau_alpha^CR")
    p.add_argument("--production", type=int, default=None)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--checkpoint-dir", default=None)
    p.add_argument("--out", default=None, help="write the JSON result here too")
    p.add_argument("--progress", action="store_true")
    a = p.parse_args(argv)
    eq = a.equilibration
    if eq is None:
        eq = REFERENCE.get(round(a.temperature, 3), (0, 0, 0, 0, 0, 100_000))[5]
    print(f"load average before: {os.getloadavg()}", file=sys.stderr)
    res = measure_relaxation(a.temperature, n_particles=a.n_particles, delta=a.delta,
                             equilibration=eq, max_lag=a.max_lag, production=a.production,
                             seed=a.seed, checkpoint_dir=a.checkpoint_dir,
                             progress=a.progress)
    res["load_average_after"] = os.getloadavg()
    line = json.dumps(res)
    if a.out:
        with open(a.out + ".tmp", "w") as fh:
            fh.write(line + "\n")
        os.replace(a.out + ".tmp", a.out)
    short = {k: v for k, v in res.items() if k != "curves"}
    print(json.dumps(short))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
