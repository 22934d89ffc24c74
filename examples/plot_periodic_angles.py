"""
Periodic features: dihedral angles
==================================

Dihedral angles live on a circle: -179 degrees and +179 degrees are 2 degrees apart,
not 358. Here two backbone-like dihedrals (phi, psi) populate two basins, one of which
(beta) straddles the -pi/pi cut in psi, beside two side-chain-like angles that do not
matter and one ordinary noise feature. The target depends on the angles through
cosines. Without ``periods`` the beta basin is cut in two: points that are neighbours in
the target lie at opposite ends of psi's range, so Delta(y -> psi) is large. With
``periods`` (one per column, None for the ordinary feature) differences are
minimum-image: Delta(y -> psi) falls from about 0.6 to 0.38, and so does Delta(y -> X_S)
along the whole greedy path. The forward imbalances Delta(x -> y) barely move: a
point's neighbours on its own side of the cut are almost as close as those across it.
"""

import matplotlib.pyplot as plt
import numpy as np

from skii import imbalance_path, information_imbalances
from skii.plotting import plot_imbalance_plane

rng = np.random.default_rng(0)
n = 800


def wrap(a):
    return (a + np.pi) % (2 * np.pi) - np.pi


beta = rng.random(n) < 0.6
phi = np.where(beta, -2.0 + 0.45 * rng.normal(size=n), -1.2 + 0.3 * rng.normal(size=n))
psi = np.where(beta, 2.9 + 0.45 * rng.normal(size=n), -0.7 + 0.3 * rng.normal(size=n))
chi1 = rng.choice([-1.05, 1.05, np.pi], size=n) + 0.3 * rng.normal(size=n)
chi2 = rng.uniform(-np.pi, np.pi, size=n)
X = np.column_stack([wrap(np.column_stack([phi, psi, chi1, chi2])), rng.normal(size=n)])
names = ["phi", "psi", "chi1", "chi2", "noise"]
y = np.cos(X[:, 1]) + 0.5 * np.cos(X[:, 0] + 1.0) + 0.05 * rng.normal(size=n)
periods = [2 * np.pi] * 4 + [None]  # one per column; None: not periodic

plain = [information_imbalances(X[:, j], y) for j in range(5)]
wrapped = [information_imbalances(X[:, j], y, periods=periods[j]) for j in range(5)]
path_plain = imbalance_path(X, y, feature_names=names)
path_wrapped = imbalance_path(X, y, feature_names=names, periods=periods)

fig, axes = plt.subplots(1, 3, figsize=(13, 4.3))
ax = axes[0]
sc = ax.scatter(X[:, 0], X[:, 1], c=y, s=5, cmap="viridis")
ax.set(xlim=(-np.pi, np.pi), ylim=(-np.pi, np.pi), xlabel="phi", ylabel="psi",
       title="the beta basin wraps around psi = ±π")
fig.colorbar(sc, ax=ax, label="y")
plot_imbalance_plane(*zip(*plain, strict=True), labels=names, ax=axes[1], color="0.6",
                     label="without periods")
plot_imbalance_plane(*zip(*wrapped, strict=True), labels=names, ax=axes[1], color="C3",
                     label="with periods")
axes[1].legend(loc="lower right", fontsize=8)
axes[1].set_title("single features")
ax = axes[2]
for path, label, color in ((path_plain, "without periods", "0.5"),
                           (path_wrapped, "with periods", "C3")):
    d = path["n_features"]
    ax.errorbar(d, path["delta_subset_to_target"], yerr=path["delta_subset_to_target_std"],
                fmt="o-", color=color, capsize=2, label=f"Δ(X_S → y), {label}")
    ax.errorbar(d, path["delta_target_to_subset"], yerr=path["delta_target_to_subset_std"],
                fmt="s--", color=color, capsize=2, label=f"Δ(y → X_S), {label}")
ax.set(xlabel="number of selected features d", ylabel="information imbalance", ylim=(0, 1.05),
       title="greedy path")
ax.legend(fontsize=7)
plt.tight_layout()

for j, name in enumerate(names):
    print(f"{name:6s} Delta(x -> y), Delta(y -> x): without periods {plain[j][0]:.3f}, "
          f"{plain[j][1]:.3f}; with periods {wrapped[j][0]:.3f}, {wrapped[j][1]:.3f}")
print("greedy order without periods:", path_plain["feature_name"].tolist())
print("greedy order with periods:   ", path_wrapped["feature_name"].tolist())
