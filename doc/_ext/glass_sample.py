"""A glass configuration with its propensity, for the figures of the glass guide.

The bundled dataset (``ka2d`` at T = 0.45) when it is installed; otherwise a small
simulation at T = 1 (a few seconds), which is enough to show what each descriptor looks
like but not the physics of the deeply supercooled liquid. Cached for the whole build.
"""

import warnings
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=2)
def _small_equilibrated(temperature: float, delta: float):
    """ka2d, N = 500, equilibrated at ``temperature`` with swap MC (seconds)."""
    from skii_glass.simulation import equilibrate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a short equilibration, on purpose
        config, _ = equilibrate("ka2d", temperature, n_particles=500, n_sweeps=4000,
                                max_displacement=delta, swap_probability=0.2, seed=3,
                                melt_sweeps=300, warn=False)
    return config


@lru_cache(maxsize=1)
def sample():
    """(configuration, propensity, bond_breaking, caption) of one configuration."""
    from skii_glass.datasets import load_propensity

    try:
        data = load_propensity(descriptors=False)
        return (data.configurations[0], data.propensity[0], data.bond_breaking[0],
                f"bundled dataset: ka2d, N = {data.configurations[0].n_particles}, "
                f"T = {data.temperature:g}")
    except FileNotFoundError:
        pass
    from skii_glass.propensity import iso_configurational

    config = _small_equilibrated(1.0, 0.2)
    res = iso_configurational(config, 1.0, [1350], n_trajectories=8, seed=4,
                              max_displacement=0.2)
    return (config, res.displacement[0], res.bond_breaking[0],
            "small simulation: ka2d, N = 500, T = 1.0 (no bundled data file)")


@lru_cache(maxsize=1)
def relaxation(n_runs: int = 4):
    """Relaxation at T = 1, delta = 0.2 from a small configuration equilibrated there,
    averaged over ``n_runs`` trajectories: (times, curves, tau_cr, tau_plain, T, delta)."""
    from skii_glass.dynamics import analyze_relaxation, relaxation_time
    from skii_glass.simulation import log_linear_times, run_mc

    t, delta = 1.0, 0.2
    config = _small_equilibrated(t, delta)
    times = log_linear_times(6000, points_per_decade=12, n_linear=0)
    rels = []
    for seed in range(n_runs):
        res = run_mc(config, t, 6000, max_displacement=delta, seed=100 + seed,
                     sample_times=times)
        rels.append(analyze_relaxation(res.times, res.positions, config.species, config.box,
                                       config.mixture.sigma, k=2 * np.pi))
    curves = {name: np.mean([getattr(r, name).reshape(-1, len(times))[0] for r in rels], axis=0)
              for name in ("fs", "fs_cr", "alpha2", "alpha2_cr")}
    tau_cr = relaxation_time(rels[0].times, curves["fs_cr"])
    tau = relaxation_time(rels[0].times, curves["fs"])
    return rels[0].times, curves, tau_cr, tau, t, delta


def draw(ax, config, values, title, cmap="viridis", fig=None, colorbar=True):
    """Particles as discs of diameter sigma_aa coloured by ``values``; returns the mappable."""
    ax.set_xlim(0, config.box[0])
    ax.set_ylim(0, config.box[1])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    fig = fig or ax.figure
    fig.canvas.draw()
    points_per_unit = ax.get_window_extent().width / config.box[0] * 72 / fig.dpi
    sizes = np.diag(config.mixture.sigma)[config.species] * points_per_unit
    sc = ax.scatter(*config.positions.T, c=values, cmap=cmap, s=sizes**2, linewidths=0)
    ax.set_title(title, fontsize=9)
    if colorbar:
        fig.colorbar(sc, ax=ax, shrink=0.75)
    return sc
