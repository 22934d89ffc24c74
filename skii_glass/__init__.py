"""skii_glass: 2D Lennard-Jones glass-formers, dynamic propensity and structural
descriptors for feature selection by information imbalance."""

from .configuration import Configuration
from .models import Mixture, get_preset

__all__ = ["Configuration", "Mixture", "get_preset"]

# Structural descriptors (issue 4).
from .transformers import (  # noqa: E402
    BondOrderDescriptors,
    CoordinationDescriptors,
    DensityDescriptors,
    EnergyDescriptors,
    StericOrderDescriptors,
    StructuralDescriptors,
    configuration_groups,
)

__all__ += [
    "StructuralDescriptors",
    "DensityDescriptors",
    "EnergyDescriptors",
    "BondOrderDescriptors",
    "StericOrderDescriptors",
    "CoordinationDescriptors",
    "configuration_groups",
]
