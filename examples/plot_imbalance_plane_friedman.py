"""
The information imbalance plane on Friedman #1
==============================================

Each feature x_j of Friedman #1 is a point (Delta(x_j -> y), Delta(y -> x_j)). The five
informative features move away from the (1, 1) corner of unrelated variables; the
noise features stay there. Greedy selection then walks down towards (0, ...).
"""

import matplotlib.pyplot as plt
from sklearn.datasets import make_friedman1

from skii import imbalance_path, information_imbalances
from skii.plotting import plot_imbalance_plane

X, y = make_friedman1(n_samples=1500, n_features=10, random_state=0)

single = [information_imbalances(X[:, j], y) for j in range(X.shape[1])]
path = imbalance_path(X, y, n_features_to_select=6)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 4.5))
plot_imbalance_plane(*zip(*single, strict=True), labels=[f"x{j}" for j in range(10)], ax=ax1)
ax1.set_title("single features")
plot_imbalance_plane(
    path["delta_subset_to_target"],
    path["delta_target_to_subset"],
    labels=[f"d={d}" for d in path["n_features"]],
    ax=ax2,
    color="C1",
)
ax2.plot(path["delta_subset_to_target"], path["delta_target_to_subset"], color="C1")
ax2.set_title("greedy path")
plt.tight_layout()
for (to_y, from_y), j in zip(single, range(10), strict=True):
    print(f"x{j}: Delta(x -> y) = {to_y:.3f}, Delta(y -> x) = {from_y:.3f}")
print("greedy order:", path["feature_name"].tolist())
