"""The bundled propensity dataset, and how to regenerate it.

``skii_glass/data/propensity_ka2d.npz`` holds equilibrium configurations of the ``ka2d``
model at a glassy temperature together with their iso-configurational propensities,
produced by this package's own simulator (:mod:`skii_glass.pipeline`, scale ``bundle``):
swap-MC equilibration, then plain-displacement MC trajectories of length tau_alpha^CR
from each configuration; propensity = mean over trajectories of the cage-relative
displacement ``|dr^CR(tau_alpha)|``. Arrays:

=================  ==========================  =========================================
key                shape / dtype               meaning
=================  ==========================  =========================================
positions          (n_conf, N, 2) float32      positions in the box (sigma_AA units)
species            (n_conf, N) int8            species codes of the preset
box                (n_conf, 2) float64         box sides
propensity         (n_conf, N) float32         mean |dr^CR(tau_alpha)|
bond_breaking      (n_conf, N) float32         bond-breaking propensity at tau_alpha
displacements      (n_conf, R, N) float32      each trajectory's |dr^CR(tau_alpha)|
                                               (optional; its mean over R is propensity)
temperature        ()                          k_B T / eps_AA
tau_alpha          ()                          tau_alpha^CR in MC sweeps
provenance         () str (JSON)               preset, settings, command, costs, version
=================  ==========================  =========================================

Descriptors are not stored: :func:`load_propensity` recomputes them (a few seconds) and
caches them per process.

Regenerate it (resumable: stop it at any time and run the same command again)::

    skii-glass make-dataset --scale bundle --work ~/skii-bundle-work \\
        --out skii_glass/data/propensity_ka2d.npz --n-jobs 2

(``--scale tiny`` makes a toy file in seconds; any ``reproduce`` override such as
``--n-particles`` or ``--temperature`` works here too.)
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "PropensityDataset", "load_propensity", "save_propensity", "descriptor_table", "BUNDLED_FILE",
]

#: File name of the packaged dataset inside ``skii_glass/data``.
BUNDLED_FILE = "propensity_ka2d.npz"
_REGENERATE = (
    "skii-glass make-dataset --scale bundle --work WORKDIR "
    "--out skii_glass/data/propensity_ka2d.npz"
)
_KEYS = ("positions", "species", "box", "propensity", "bond_breaking", "temperature",
         "tau_alpha", "provenance")


@dataclass
class PropensityDataset:
    """Configurations with their propensities (see :func:`load_propensity`).

    Attributes
    ----------
    configurations : list of Configuration
        Equilibrium configurations (all with the same N).
    propensity, bond_breaking : list of ndarray of shape (N,)
        Per-particle propensities of each configuration.
    temperature : float
        k_B T / eps_AA.
    tau_alpha : float
        tau_alpha^CR in MC sweeps (the propensity time).
    metadata : dict
        Provenance stored in the file, plus its ``sha256``.
    path : Path
        The file read.
    descriptors : DataFrame or None
        Structural descriptors, one row per particle (configurations stacked); None until
        computed.
    groups : ndarray or None
        Configuration index of each descriptor row.
    displacements : ndarray of shape (n_conf, R, N) or None
        Each trajectory's ``|dr^CR(tau_alpha)|`` (None for files written without them);
        :func:`skii_glass.reliability.propensity_reliability` turns it into the noise
        ceiling.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skii_glass.simulation import random_configuration
    >>> confs = [random_configuration("ka2d", 150, seed=s) for s in (1, 2)]
    >>> prop = np.random.default_rng(0).random((2, 150))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     f = save_propensity(os.path.join(tmp, "d.npz"), confs, prop, temperature=0.5,
    ...                         tau_alpha=10.0)
    ...     ds = load_propensity(f, descriptors=False)
    >>> ds.descriptors is None, ds.tau_alpha
    (True, 10.0)
    >>> t = ds.table()
    >>> t.shape, list(t.columns[-2:]), t["configuration"].unique().tolist()
    ((300, 62), ['propensity', 'configuration'], [0, 1])
    """

    configurations: list
    propensity: list[np.ndarray]
    bond_breaking: list[np.ndarray]
    temperature: float
    tau_alpha: float
    metadata: dict
    path: Path
    descriptors: pd.DataFrame | None = None
    groups: np.ndarray | None = field(default=None, repr=False)
    displacements: np.ndarray | None = field(default=None, repr=False)

    def table(self) -> pd.DataFrame:
        """Study table for :func:`skii_glass.study.run_study`: descriptors, ``propensity``
        and ``configuration`` columns (descriptors computed if not loaded yet)."""
        if self.descriptors is None:
            t = descriptor_table(self.configurations, self.propensity)
            self.descriptors = t.drop(columns=["propensity", "configuration"])
            self.groups = t["configuration"].to_numpy()
        t = self.descriptors.copy()
        t["propensity"] = np.concatenate(self.propensity).astype(np.float64)
        t["configuration"] = self.groups
        return t


def _default_path() -> Path:
    return Path(str(resources.files("skii_glass").joinpath("data", BUNDLED_FILE)))


def save_propensity(
    path: str | os.PathLike,
    configurations,
    propensity,
    *,
    bond_breaking=None,
    temperature: float,
    tau_alpha: float,
    provenance: dict | None = None,
    displacements=None,
) -> Path:
    """Write a propensity dataset file (atomically; format in the module docstring).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from skii_glass import Configuration
    >>> rng = np.random.default_rng(0)
    >>> confs = [Configuration(rng.uniform(0, 5, (20, 2)), rng.integers(0, 3, 20), 5.0)
    ...          for _ in range(2)]
    >>> f = os.path.join(tempfile.mkdtemp(), "d.npz")
    >>> _ = save_propensity(f, confs, [rng.random(20), rng.random(20)], temperature=1.0,
    ...                     tau_alpha=100.0, provenance={"preset": "ka2d"})
    >>> d = load_propensity(f, descriptors=False)
    >>> len(d.configurations), d.temperature, d.metadata["preset"]
    (2, 1.0, 'ka2d')
    """
    configurations = list(configurations)
    if not configurations:
        raise ValueError("a dataset needs at least one configuration")
    n = configurations[0].n_particles
    if any(c.n_particles != n for c in configurations):
        raise ValueError("all configurations of a dataset must have the same N")
    prop = np.asarray(propensity, dtype=np.float64)
    if prop.shape != (len(configurations), n):
        raise ValueError(f"propensity must have shape ({len(configurations)}, {n}), "
                         f"got {prop.shape}")
    bb = np.zeros_like(prop) if bond_breaking is None else np.asarray(bond_breaking, float)
    if bb.shape != prop.shape:
        raise ValueError("bond_breaking must have the shape of propensity")
    if not (np.all(np.isfinite(prop)) and np.all(np.isfinite(bb))):
        raise ValueError("propensities contain NaN or infinite values")
    extra = {}
    if displacements is not None:
        disp = np.asarray(displacements, dtype=np.float64)
        if disp.ndim != 3 or disp.shape[0] != prop.shape[0] or disp.shape[2] != n:
            raise ValueError(f"displacements must have shape ({prop.shape[0]}, "
                             f"n_trajectories, {n}), got {disp.shape}")
        if not np.all(np.isfinite(disp)):
            raise ValueError("displacements contain NaN or infinite values")
        # float32 keeps the file small; the mean over trajectories is stored separately.
        extra["displacements"] = disp.astype(np.float32)
    prov = dict(provenance or {})
    prov.setdefault("preset", configurations[0].mixture.name)
    try:
        from importlib.metadata import version

        prov.setdefault("skii_version", version("skii"))
    except Exception:  # noqa: BLE001 - not installed as a distribution
        prov.setdefault("skii_version", "unknown")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp,
        positions=np.stack([c.positions for c in configurations]).astype(np.float32),
        species=np.stack([c.species for c in configurations]).astype(np.int8),
        box=np.stack([c.box for c in configurations]).astype(np.float64),
        propensity=prop.astype(np.float32),
        bond_breaking=bb.astype(np.float32),
        temperature=np.float64(temperature),
        tau_alpha=np.float64(tau_alpha),
        provenance=np.array(json.dumps(prov, default=str)),
        **extra,
    )
    os.replace(tmp, path)
    return path


_CACHE: dict = {}


def load_propensity(
    path: str | os.PathLike | None = None, *, descriptors: bool = True
) -> PropensityDataset:
    """Load the bundled (or any ``make-dataset``) propensity dataset.

    Parameters
    ----------
    path : path, optional
        Dataset file; default the packaged ``skii_glass/data/propensity_ka2d.npz``.
    descriptors : bool, default True
        Also compute the 60 structural descriptors (cached per process and file).

    Returns
    -------
    PropensityDataset
        ``configurations`` (list of :class:`~skii_glass.configuration.Configuration`),
        ``propensity`` and ``bond_breaking`` (per configuration), ``temperature``,
        ``tau_alpha`` (sweeps), ``metadata`` (provenance), ``descriptors`` (DataFrame, one
        row per particle, configurations stacked) and :meth:`~PropensityDataset.table`.

    Examples
    --------
    The bundled dataset (ka2d, 10 configurations of 1290 particles):

    >>> d = load_propensity(descriptors=False)
    >>> len(d.configurations), d.configurations[0].n_particles, d.temperature
    (10, 1290, 0.45)
    >>> d.metadata["preset"], d.propensity[0].shape, bool(d.tau_alpha > 0)
    ('ka2d', (1290,), True)
    """
    from .configuration import Configuration

    p = _default_path() if path is None else Path(path)
    if not p.exists():
        if path is None:
            raise FileNotFoundError(
                f"the bundled dataset {p} is not installed; regenerate it with: {_REGENERATE}"
            )
        raise FileNotFoundError(f"no dataset file {p}")
    raw = p.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    key = (str(p.resolve()), digest)
    if key in _CACHE and (not descriptors or _CACHE[key].descriptors is not None):
        return _CACHE[key]
    try:
        with np.load(p, allow_pickle=False) as f:
            missing = [k for k in _KEYS if k not in f.files]
            if missing:
                raise ValueError(f"{p} is not a propensity dataset: missing {missing}")
            arrays = {k: f[k] for k in _KEYS}
            disp = f["displacements"] if "displacements" in f.files else None
    except (OSError, EOFError, ValueError) as err:
        if isinstance(err, ValueError) and "propensity dataset" in str(err):
            raise
        raise ValueError(f"cannot read dataset {p}: {err}") from None
    meta = json.loads(str(arrays["provenance"]))
    meta["sha256"] = digest
    preset = meta.get("preset", "ka2d")
    pos, spec, box = arrays["positions"], arrays["species"], arrays["box"]
    if pos.ndim != 3 or pos.shape[2] != 2 or spec.shape != pos.shape[:2] or box.shape != (
        pos.shape[0], 2
    ):
        raise ValueError(f"{p}: inconsistent array shapes {pos.shape}, {spec.shape}, {box.shape}")
    confs = [Configuration(pos[i].astype(np.float64), spec[i].astype(np.int64), box[i], preset)
             for i in range(pos.shape[0])]
    data = PropensityDataset(
        configurations=confs,
        propensity=[a.astype(np.float64) for a in arrays["propensity"]],
        bond_breaking=[a.astype(np.float64) for a in arrays["bond_breaking"]],
        temperature=float(arrays["temperature"]),
        tau_alpha=float(arrays["tau_alpha"]),
        metadata=meta,
        path=p,
        displacements=None if disp is None else disp.astype(np.float64),
    )
    if disp is not None and (disp.ndim != 3 or disp.shape[0] != pos.shape[0]
                             or disp.shape[2] != pos.shape[1]):
        raise ValueError(f"{p}: displacements have shape {disp.shape}, expected "
                         f"({pos.shape[0]}, n_trajectories, {pos.shape[1]})")
    if descriptors:
        data.table()
    _CACHE[key] = data
    return data


def descriptor_table(configurations, propensities, *, n_jobs: int | None = None) -> pd.DataFrame:
    """The study table: 60 descriptors + ``propensity`` + ``configuration`` per particle.

    Parameters
    ----------
    configurations : sequence of Configuration
        Box sides must exceed twice the largest coarse-graining length (L = 5).
    propensities : sequence of array of shape (N,)
        One per configuration.
    n_jobs : int, optional
        joblib workers for the descriptors.

    Returns
    -------
    DataFrame
        One row per particle (configurations stacked).

    Examples
    --------
    >>> from skii_glass.simulation import random_configuration
    >>> confs = [random_configuration("ka2d", 150, seed=s) for s in (1, 2)]
    >>> t = descriptor_table(confs, [np.zeros(150), np.ones(150)])
    >>> t.shape, list(t.columns[:2]), t["configuration"].unique().tolist()
    ((300, 62), ['rho_L0.5', 'rho_L1.0'], [0, 1])
    """
    from .transformers import StructuralDescriptors

    if len(configurations) != len(propensities):
        raise ValueError("one propensity array per configuration is needed")
    for c, p in zip(configurations, propensities, strict=True):
        if np.shape(p) != (c.n_particles,):
            raise ValueError(
                f"propensity has shape {np.shape(p)}, expected ({c.n_particles},)"
            )
    desc = StructuralDescriptors(n_jobs=n_jobs).set_output(transform="pandas")
    X = desc.fit_transform(list(configurations))
    table = pd.DataFrame(X).reset_index(drop=True)
    table["propensity"] = np.concatenate([np.asarray(p, dtype=np.float64) for p in propensities])
    table["configuration"] = np.asarray(desc.groups_)
    return table
