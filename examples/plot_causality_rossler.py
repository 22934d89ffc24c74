"""
Causal direction between two coupled Rossler oscillators
========================================================

Two chaotic Rossler oscillators, x driving y through a diffusive coupling
``eps (x1 - y1)`` in the equation of y1. :func:`~skii.imbalance_gain` scans
``Delta((alpha x(0), y(0)) -> y(tau))``: adding the present of x, scaled by alpha, makes
the present of y predict the future of y better, so the curve dips below its value at
alpha = 0 and the gain is positive. In the other direction, y adds nothing to the present
of x for predicting its future: the curve only rises and the gain is zero (Del Tatto et
al., PNAS 2024).
"""

import matplotlib.pyplot as plt
import numpy as np

from skii import imbalance_gain


def rossler_pair(n_samples, eps=0.1, dt=0.05, stride=20, transient=2000, seed=0):
    """RK4 trajectory, one sample every stride * dt = 1 time unit."""
    w1, w2 = 1.015, 0.985

    def f(s):
        x1, x2, x3, y1, y2, y3 = s
        return np.array(
            [
                -w1 * x2 - x3,
                w1 * x1 + 0.15 * x2,
                0.2 + x3 * (x1 - 10),
                -w2 * y2 - y3 + eps * (x1 - y1),
                w2 * y1 + 0.15 * y2,
                0.2 + y3 * (y1 - 10),
            ]
        )

    s = np.random.default_rng(seed).uniform(-1, 1, 6)
    out = np.empty((n_samples, 6))
    for step in range(transient + n_samples * stride):
        k1 = f(s)
        k2 = f(s + dt / 2 * k1)
        k3 = f(s + dt / 2 * k2)
        k4 = f(s + dt * k3)
        s = s + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        if step >= transient and (step - transient) % stride == 0:
            out[(step - transient) // stride] = s
    return out[:, :3], out[:, 3:]


x, y = rossler_pair(500)
lag = 4  # tau = 4 time units
alphas = np.linspace(0, 1, 21)
x_to_y = imbalance_gain(x[:-lag], y[:-lag], y[lag:], alphas=alphas, n_neighbors=3)
y_to_x = imbalance_gain(y[:-lag], x[:-lag], x[lag:], alphas=alphas, n_neighbors=3)

fig, ax = plt.subplots(figsize=(5, 3.8))
ax.plot(x_to_y["alpha"], x_to_y["delta"], "o-", label=f"x -> y, gain {x_to_y.attrs['gain']:.2f}")
ax.plot(y_to_x["alpha"], y_to_x["delta"], "s-", label=f"y -> x, gain {y_to_x.attrs['gain']:.2f}")
ax.set_xlabel(r"$\alpha$")
ax.set_ylabel(r"$\Delta((\alpha\, X(0), Y(0)) \to Y(\tau))$")
ax.legend()
plt.tight_layout()
print(f"gain x -> y: {x_to_y.attrs['gain']:.3f}")
print(f"gain y -> x: {y_to_x.attrs['gain']:.3f}")
