"""The paper's published numbers, shipped as data to set ours beside them.

The numbers in ``skii_glass/data/paper_reference.json`` are the final results behind
Figs. 4-7 of Sharma, Liu & Ozawa, J. Chem. Phys. 161 (2024) (arXiv:2408.12705), read from
the NumPy files of the authors' repository
(github.com/Anand-Sharma22/Feature-selection-Information-Imbalance, commit
9c567eb27f17e2cb94c6a5b540c39c7a16920192) and reduced to means (and standard deviations)
over their 10 configurations of N = 4000 particles. The file's ``source`` entry names the
exact upstream file behind every key. They are comparison targets only: nothing in the
package ever uses them as an input.

Examples
--------
>>> ref = paper_reference()
>>> ref.best_feature(), round(ref.best_abs_pearson(), 3)
('theta_L2.0', 0.557)
>>> [round(float(v), 3) for v in ref.fig7_mean("ii_supervised")[:2]]
[0.555, 0.687]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

__all__ = ["DESCRIPTORS", "LENGTHS", "FEATURE_NAMES", "PaperReference", "paper_reference"]

#: Descriptor blocks in the paper's column order.
DESCRIPTORS: tuple[str, ...] = ("rho", "phi", "u", "psi6", "theta", "z")
#: Coarse-graining lengths L (units of sigma_AA).
LENGTHS: tuple[float, ...] = tuple(0.5 * i for i in range(1, 11))
#: The 60 feature names ``{descriptor}_L{L:.1f}`` in the paper's order.
FEATURE_NAMES: tuple[str, ...] = tuple(f"{d}_L{L:.1f}" for d in DESCRIPTORS for L in LENGTHS)

#: Human-readable labels used in figures and the report.
DESCRIPTOR_LABELS: dict[str, str] = {
    "rho": "local density ρ̄",
    "phi": "area fraction φ̄",
    "u": "potential energy ū",
    "psi6": "bond order Ψ̄6",
    "theta": "steric order Θ̄",
    "z": "coordination z̄",
}


@dataclass(frozen=True)
class PaperReference:
    """Read-only access to the paper's reference numbers (see the module docstring).

    Use :func:`paper_reference` to get the bundled instance.

    Attributes
    ----------
    data : dict
        The parsed ``paper_reference.json``.

    Examples
    --------
    >>> ref = paper_reference()
    >>> len(ref.feature_names), ref.fig7_methods
    (60, ['ii_supervised', 'ii_unsupervised', 'lasso', 'random'])
    >>> ref.best_feature("psi6"), round(ref.best_abs_pearson("psi6"), 3)
    ('psi6_L3.5', 0.18)
    >>> ref.fig5()["delta_subset_to_target"].shape
    (15,)
    """

    data: dict

    @property
    def source(self) -> dict:
        return self.data["source"]

    @property
    def feature_names(self) -> list[str]:
        return list(self.data["feature_names"])

    def abs_pearson(self) -> np.ndarray:
        """Fig. 4a: |mean over configurations of the signed Pearson r|, per feature."""
        return np.abs(np.asarray(self.data["fig4a_pearson_signed_mean"]))

    def best_feature(self, descriptor: str | None = None) -> str:
        """The feature with the largest Fig. 4a |r| (optionally within one descriptor)."""
        r = self.abs_pearson()
        names = self.feature_names
        idx = [
            i for i, n in enumerate(names) if descriptor is None or n.startswith(descriptor + "_")
        ]
        return names[max(idx, key=lambda i: r[i])]

    def best_abs_pearson(self, descriptor: str | None = None) -> float:
        return float(self.abs_pearson()[self.feature_names.index(self.best_feature(descriptor))])

    def fig4b(self) -> dict[str, np.ndarray]:
        """Fig. 4b: mean Delta(x -> p) and Delta(p -> x) per feature."""
        return {
            "delta_x_to_p": np.asarray(self.data["fig4b_delta_x_to_p_mean"]),
            "delta_p_to_x": np.asarray(self.data["fig4b_delta_p_to_x_mean"]),
        }

    def fig5(self) -> dict[str, np.ndarray]:
        """Fig. 5: mean supervised greedy path, d = 1..15."""
        return {
            "delta_subset_to_target": np.asarray(self.data["fig5_delta_subset_to_p_mean"]),
            "delta_target_to_subset": np.asarray(self.data["fig5_delta_p_to_subset_mean"]),
            "objective_std": np.asarray(self.data["fig5_delta_subset_to_p_std"]),
        }

    def fig6(self) -> dict[str, np.ndarray]:
        """Fig. 6: mean unsupervised greedy path, d = 1..15."""
        return {
            "objective": np.asarray(self.data["fig6_symmetrized_mean"]),
            "objective_std": np.asarray(self.data["fig6_symmetrized_std"]),
            "delta_full_to_subset": np.asarray(self.data["fig6_delta_full_to_subset_mean"]),
            "delta_subset_to_full": np.asarray(self.data["fig6_delta_subset_to_full_mean"]),
        }

    def fig7_mean(self, method: str) -> np.ndarray:
        """Fig. 7: mean |Pearson(prediction, truth)| for d = 1..15 (methods: ii_supervised,
        ii_unsupervised, lasso, random)."""
        table = self.data["fig7_abs_pearson_mean"]
        if method not in table:
            raise ValueError(f"the paper has no Fig. 7 curve for {method!r}; has {sorted(table)}")
        return np.asarray(table[method])

    def fig7_std(self, method: str) -> np.ndarray:
        return np.asarray(self.data["fig7_abs_pearson_std"][method])

    @property
    def fig7_methods(self) -> list[str]:
        return sorted(self.data["fig7_abs_pearson_mean"])


@lru_cache(maxsize=1)
def paper_reference() -> PaperReference:
    """Load the bundled reference numbers (cached).

    Returns
    -------
    PaperReference

    Examples
    --------
    >>> ref = paper_reference()
    >>> ref is paper_reference(), ref.best_feature()
    (True, 'theta_L2.0')
    """
    text = resources.files("skii_glass").joinpath("data/paper_reference.json").read_text("utf-8")
    return PaperReference(json.loads(text))
