"""skii: feature selection by information imbalance, scikit-learn compatible.

Information imbalance (Glielmo et al., PNAS Nexus 1, pgac039, 2022) measures how well the
neighbourhoods of one representation of the data predict those of another. The selector
greedily adds the features whose neighbourhoods best predict a target (supervised) or the
full feature set (unsupervised), as in Sharma, Liu & Ozawa, J. Chem. Phys. 161 (2024).
"""

from ._causality import imbalance_gain
from ._imbalance import (
    ConstantFeatureWarning,
    imbalance_path,
    information_imbalance,
    information_imbalances,
    path_columns,
)
from ._selector import InformationImbalanceSelector
from ._shared_paths import leave_one_group_out_paths
from ._version import __version__
from ._weighting import InformationImbalanceWeighting, differentiable_imbalance

__all__ = [
    "ConstantFeatureWarning",
    "InformationImbalanceSelector",
    "InformationImbalanceWeighting",
    "differentiable_imbalance",
    "imbalance_gain",
    "imbalance_path",
    "information_imbalance",
    "information_imbalances",
    "leave_one_group_out_paths",
    "path_columns",
    "__version__",
]
