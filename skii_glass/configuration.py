"""A particle configuration in a periodic rectangular 2D box."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .models import Mixture, get_preset

__all__ = ["Configuration"]


@dataclass(eq=False)
class Configuration:
    """Positions, integer species codes and a periodic box, validated.

    Positions outside ``[0, Lx) x [0, Ly)`` are wrapped into the box (periodic images
    are the same physical state); NaN or infinite coordinates raise ``ValueError``.

    Parameters
    ----------
    positions : array of shape (N, 2)
    species : array of shape (N,)
        Integer species codes (0 .. n_species - 1) of ``mixture``, or species names.
    box : float or array of shape (2,)
        Box sides ``(Lx, Ly)``; a scalar means a square box.
    mixture : Mixture or str, default "ka2d"
        The model (or preset name) the species refer to.

    Examples
    --------
    >>> import numpy as np
    >>> c = Configuration([[0.5, 0.5], [2.5, -0.5]], ["A", "B"], box=3.0)
    >>> c.positions.tolist(), c.species.tolist(), c.n_particles
    ([[0.5, 0.5], [2.5, 2.5]], [0, 1], 2)
    """

    positions: np.ndarray
    species: np.ndarray
    box: np.ndarray
    mixture: Mixture | str = "ka2d"

    def __post_init__(self) -> None:
        if isinstance(self.mixture, str):
            self.mixture = get_preset(self.mixture)
        pos = np.array(self.positions, dtype=np.float64)
        if pos.ndim != 2 or pos.shape[1] != 2:
            raise ValueError(f"positions must have shape (N, 2), got {pos.shape}")
        if pos.shape[0] == 0:
            raise ValueError("a configuration needs at least one particle")
        if not np.all(np.isfinite(pos)):
            raise ValueError("positions contain NaN or infinite values")
        box = np.broadcast_to(np.asarray(self.box, dtype=np.float64), (2,)).copy()
        if not np.all(np.isfinite(box)) or np.any(box <= 0):
            raise ValueError(f"box sides must be positive and finite, got {box}")
        species = np.asarray(self.species)
        if species.shape != (pos.shape[0],):
            raise ValueError(
                f"species must have shape ({pos.shape[0]},) to match positions, "
                f"got {species.shape}"
            )
        if species.dtype.kind in "US O":
            species = self.mixture.species_index(species)
        else:
            if species.dtype.kind == "f" and not np.all(species == np.rint(species)):
                raise ValueError("species codes must be integers")
            species = species.astype(np.int64)
            bad = (species < 0) | (species >= self.mixture.n_species)
            if np.any(bad):
                raise ValueError(
                    f"unknown species code {int(species[bad][0])} for model "
                    f"{self.mixture.name!r} with {self.mixture.n_species} species"
                )
        self.positions = np.mod(pos, box)
        # np.mod can return exactly box for tiny negative inputs; fold those to 0.
        self.positions[self.positions >= box] = 0.0
        self.species = species
        self.box = box

    @property
    def n_particles(self) -> int:
        return self.positions.shape[0]

    @property
    def species_names(self) -> np.ndarray:
        return np.asarray(self.mixture.species)[self.species]

    def copy(self) -> Configuration:
        return Configuration(self.positions.copy(), self.species.copy(), self.box.copy(),
                             self.mixture)
