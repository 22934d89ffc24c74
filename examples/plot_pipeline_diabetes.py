"""
Information imbalance selection in a regression Pipeline
========================================================

Select features of scikit-learn's diabetes dataset by information imbalance, inside a
Pipeline with a scaler and an ordinary least-squares model, and compare the
cross-validated score with that of all ten features.
"""

import matplotlib.pyplot as plt
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skii import InformationImbalanceSelector
from skii.plotting import plot_imbalance_path

X, y = load_diabetes(return_X_y=True, as_frame=True)

# The imbalance uses Euclidean distances on X as given, so scale first.
pipe = Pipeline(
    [
        ("scale", StandardScaler()),
        ("select", InformationImbalanceSelector(n_features_to_select=4)),
        ("ols", LinearRegression()),
    ]
).set_output(transform="pandas")

score_selected = cross_val_score(pipe, X, y, cv=5).mean()
score_all = cross_val_score(
    Pipeline([("scale", StandardScaler()), ("ols", LinearRegression())]), X, y, cv=5
).mean()

pipe.fit(X, y)
selector = pipe.named_steps["select"]
print("selected, in order:", list(selector.imbalance_path_["feature_name"]))
print(f"5-fold R^2 with 4 selected features: {score_selected:.3f}; all 10: {score_all:.3f}")

# The full path: how the imbalance falls as features are added.
full = InformationImbalanceSelector(n_features_to_select=10).fit(
    StandardScaler().set_output(transform="pandas").fit_transform(X), y
)
ax = plot_imbalance_path(full.imbalance_path_)
ax.set_title("diabetes: greedy information imbalance path")
plt.tight_layout()
