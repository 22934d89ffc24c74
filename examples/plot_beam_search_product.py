"""
Beam search finds features that only work together
===================================================

The target is ``y = x0 * x1 + 0.4 x2``: the product needs x0 and x1 *together*, and
alone neither says much about y, while the weaker linear term makes x2 the best single
feature. Greedy forward selection therefore takes x2 first and can never drop it: its pair
is {x2, x1}. A beam search (``beam_width=2``) keeps the two best subsets of every size, so
the pair {x0, x1} survives to size 2, where it wins. A backward search (start from all
features, remove the least useful one at a time) finds it too, but ends on a poor single
feature: it keeps one of the two factors, where x2 is better. With six features the best
subset of every size can be found by brute force over all 63 subsets: here the beam
matches it at every size.
"""

import itertools

import matplotlib.pyplot as plt
import numpy as np

from skii import imbalance_path, information_imbalances

rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, size=(400, 6))
y = X[:, 0] * X[:, 1] + 0.4 * X[:, 2]

greedy = imbalance_path(X, y)
beam = imbalance_path(X, y, beam_width=2)
backward = imbalance_path(X, y, direction="backward")

# Brute force: every subset of every size (both directions, for the imbalance plane).
every = {
    s: information_imbalances(X[:, list(s)], y)
    for d in range(1, 7)
    for s in itertools.combinations(range(6), d)
}
best = [min((v[0] for s, v in every.items() if len(s) == d)) for d in range(1, 7)]

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
d = np.arange(1, 7)
ax1.plot(d, best, "k-", lw=6, alpha=0.2, label="best subset (brute force)")
ax1.plot(greedy["n_features"], greedy["objective"], "o-", label="greedy")
ax1.plot(beam["n_features"], beam["objective"], "s--", label="beam, width 2")
ax1.plot(backward["n_features"], backward["objective"], "^:", label="backward")
ax1.set_xlabel("number of selected features d")
ax1.set_ylabel("Δ(X_S → y)")
ax1.set_title("y = x0·x1 + 0.4·x2")
ax1.legend()

pairs = {s: v for s, v in every.items() if len(s) == 2}
ax2.scatter(*zip(*pairs.values(), strict=True), color="0.6", s=20, label="all 15 pairs")
greedy_pair = tuple(sorted(greedy["feature"][:2]))
beam_pair = tuple(sorted(beam["subset"].iloc[1]))
for pair, name, marker, color in [
    (greedy_pair, "greedy", "o", "C0"),
    (beam_pair, "beam", "s", "C1"),
]:
    ax2.scatter(
        *pairs[pair],
        s=90,
        marker=marker,
        facecolor="none",
        edgecolor=color,
        lw=2,
        label=f"{name}: x{pair[0]}, x{pair[1]}",
    )
ax2.plot([0, 1.05], [0, 1.05], color="0.7", lw=1, ls="--", zorder=0)
ax2.set_xlim(0, 1.05)
ax2.set_ylim(0, 1.05)
ax2.set_xlabel("Δ(X_S → y)")
ax2.set_ylabel("Δ(y → X_S)")
ax2.set_title("pairs in the information imbalance plane")
ax2.legend(loc="lower right", fontsize=8)

print(f"greedy pair: {greedy_pair}, Delta(X_S -> y) = {greedy['objective'].iloc[1]:.3f}")
print(f"beam pair: {beam_pair}, Delta(X_S -> y) = {beam['objective'].iloc[1]:.3f}")
back_pair = backward.loc[backward["n_features"] == 2, "subset"].iloc[0]
print(f"backward pair: {back_pair}")
print(f"brute-force best pair: {min(pairs, key=lambda s: pairs[s][0])}, Delta = {best[1]:.3f}")
print(
    "beam equals the brute-force best at every size:",
    np.array_equal(beam["objective"].to_numpy(), best),
)
