"""
Choosing the number of features with GridSearchCV and GroupKFold
=================================================================

Rows often come in groups (patients, experiments, simulation snapshots) that must not be
split between training and test sets. Here ``groups`` reaches both the splitter
(``GroupKFold``) and the selector, which then computes the imbalance within each group,
through scikit-learn's metadata routing. The greedy path is cached with ``memory``, so
the search over ``n_features_to_select`` computes it once per fold.
"""

import tempfile

import matplotlib.pyplot as plt
import numpy as np
import sklearn
from sklearn.datasets import make_friedman1
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV, GroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from skii import InformationImbalanceSelector

sklearn.set_config(enable_metadata_routing=True)

X, y = make_friedman1(n_samples=1200, n_features=15, noise=0.5, random_state=0)
groups = np.repeat(np.arange(6), 200)  # e.g. six independent experiments

with tempfile.TemporaryDirectory() as cache:
    selector = InformationImbalanceSelector(memory=cache).set_fit_request(groups=True)
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("select", selector),
            ("splines", SplineTransformer(n_knots=6)),
            ("ols", LinearRegression()),
        ]
    )
    search = GridSearchCV(
        pipe,
        {"select__n_features_to_select": list(range(1, 11))},
        cv=GroupKFold(n_splits=3),
    )
    search.fit(X, y, groups=groups)

best = search.best_params_["select__n_features_to_select"]
order = search.best_estimator_.named_steps["select"].selection_order_
print(f"best number of features: {best}; selected in order: {order.tolist()}")

d = search.cv_results_["param_select__n_features_to_select"].data.astype(int)
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.errorbar(
    d, search.cv_results_["mean_test_score"], search.cv_results_["std_test_score"], marker="o"
)
ax.set_xlabel("number of selected features d")
ax.set_ylabel("R² (GroupKFold)")
ax.set_title("Friedman #1: five informative features of fifteen")
plt.tight_layout()
sklearn.set_config(enable_metadata_routing=False)
