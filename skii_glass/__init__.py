"""skii_glass: 2D Lennard-Jones glass-formers, dynamic propensity and structural
descriptors for feature selection by information imbalance.

The most used names are re-exported here; each concept has its own module
(:mod:`~skii_glass.models`, :mod:`~skii_glass.simulation`, :mod:`~skii_glass.dynamics`,
:mod:`~skii_glass.propensity`, :mod:`~skii_glass.structure`, :mod:`~skii_glass.inherent`,
:mod:`~skii_glass.descriptors`, :mod:`~skii_glass.transformers`, :mod:`~skii_glass.io`,
:mod:`~skii_glass.lammps`,
:mod:`~skii_glass.datasets`, :mod:`~skii_glass.study`).
"""

from .configuration import Configuration
from .datasets import load_propensity
from .inherent import inherent_structure
from .io import Trajectory, read_configuration, read_trajectory, write_configuration
from .models import Mixture, get_preset
from .propensity import PropensityResult, iso_configurational, propensity_from_trajectories
from .simulation import MCResult, equilibrate, random_configuration, run_mc
from .structure import gr_minimum_cutoffs
from .transformers import (
    BondOrderDescriptors,
    CoordinationDescriptors,
    DensityDescriptors,
    EnergyDescriptors,
    StericOrderDescriptors,
    StructuralDescriptors,
    configuration_groups,
)

__all__ = [
    "BondOrderDescriptors",
    "Configuration",
    "CoordinationDescriptors",
    "DensityDescriptors",
    "EnergyDescriptors",
    "MCResult",
    "Mixture",
    "PropensityResult",
    "StericOrderDescriptors",
    "StructuralDescriptors",
    "Trajectory",
    "configuration_groups",
    "equilibrate",
    "get_preset",
    "gr_minimum_cutoffs",
    "inherent_structure",
    "iso_configurational",
    "load_propensity",
    "propensity_from_trajectories",
    "random_configuration",
    "read_configuration",
    "read_trajectory",
    "run_mc",
    "write_configuration",
]
