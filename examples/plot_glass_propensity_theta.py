"""
Propensity and the best structural descriptor, side by side
===========================================================

The picture behind Sharma, Liu & Ozawa's Fig. 2: one equilibrium configuration of a
supercooled 2D liquid, coloured on the left by each particle's dynamic propensity (how
far it moves in a time tau_alpha, averaged over an iso-configurational ensemble) and on
the right by the Tong-Tanaka steric order Theta coarse-grained over L = 2
(``theta_L2.0``), the single descriptor that correlates best with it in the paper.
Regions of high Theta (frustrated, disordered packing) are where particles move.

The data come from the bundled dataset (:func:`skii_glass.datasets.load_propensity`:
the ``ka2d`` model at T = 0.45, N = 1290). An installation without the data file falls
back to a small simulation at a high temperature (T = 1), where the picture is much
noisier: there dynamic heterogeneity is weak.
"""

import tempfile

import matplotlib.pyplot as plt
import numpy as np

from skii_glass import StructuralDescriptors
from skii_glass.datasets import load_propensity
from skii_glass.pipeline import get_scale, simulate

try:
    data = load_propensity(descriptors=False)
    config, propensity = data.configurations[0], data.propensity[0]
    source = f"bundled dataset, T = {data.temperature:g}, tau_alpha = {data.tau_alpha:.3g} sweeps"
except FileNotFoundError:
    # No data file: simulate two small configurations (seconds; equilibration with swap
    # Monte Carlo, tau_alpha measured, propensity over 8 trajectories of length tau_alpha).
    scale = get_scale(
        "quick", n_particles=400, n_configurations=2, n_trajectories=8,
        equilibration_sweeps=3000, swap_probability=0.2, tau_sweeps_guess=3000,
    )
    with tempfile.TemporaryDirectory() as work:
        sim = simulate(scale, work)
    config, propensity = sim.configurations[0], sim.propensity[0]
    source = f"small simulation, T = {scale.temperature:g} (no bundled data file)"

# %%
# Descriptors of this configuration: the Tong-Tanaka Theta coarse-grained over L = 2
# (one of the 60 columns of :class:`~skii_glass.StructuralDescriptors`).
theta = (
    StructuralDescriptors(descriptors=["theta"], lengths=[2.0])
    .set_output(transform="pandas")
    .fit_transform(config)["theta_L2.0"]
    .to_numpy()
)
r = np.corrcoef(theta, propensity)[0, 1]
print(source)
print(f"N = {config.n_particles}, Pearson r(theta_L2.0, propensity) = {r:.3f}")

# %%
# Particles are drawn as discs of their own diameter sigma_aa, so the packing is visible.
sizes = np.diag(config.mixture.sigma)[config.species]
fig, axes = plt.subplots(1, 2, figsize=(10, 5.2), layout="constrained")
for ax, values, title, cmap in [
    (axes[0], propensity, r"propensity $|\Delta r^{CR}(\tau_\alpha)|$", "inferno"),
    (axes[1], theta, r"$\Theta$ coarse-grained over L = 2 (theta_L2.0)", "inferno"),
]:
    # Marker area in points^2 for a diameter in data units: scale with the axes size.
    ax.set_xlim(0, config.box[0])
    ax.set_ylim(0, config.box[1])
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    fig.canvas.draw()
    points_per_unit = ax.get_window_extent().width / config.box[0] * 72 / fig.dpi
    sc = ax.scatter(*config.positions.T, c=values, cmap=cmap,
                    s=(sizes * points_per_unit) ** 2, linewidths=0)
    fig.colorbar(sc, ax=ax, shrink=0.8)
    ax.set_title(title)
fig.suptitle(f"{source}; r = {r:.2f}")
plt.show()
