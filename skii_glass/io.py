"""Configuration and trajectory files: extended XYZ (own reader and writer), HOOMD GSD,
LAMMPS text dumps (reader, :mod:`skii_glass.lammps`) and ``simulate``'s ``trajectory.npz``.

Extended XYZ
    One frame is ``N``, a comment line, then ``N`` lines ``species x y z Z``::

        3
        Lattice="10 0 0 0 10 0 0 0 1" Properties=species:S:1:pos:R:3:Z:I:1 pbc="T T F" ...
        A 0.5 0.5 0 1
        ...

    Species are written by name (as in the model, e.g. ``A``, ``B``, ``C`` for ``ka2d``),
    the z column is written as 0 and ignored on reading. The last column ``Z`` is the
    species code + 1: model species such as ``A`` are not chemical elements, and the
    integer column lets ``ase.io.read`` (which insists on elements) load the file, as
    atoms with atomic numbers 1, 2, 3, ...; our reader ignores it (any extra columns named
    in ``Properties`` are ignored), the box is the diagonal of
    ``Lattice`` (off-diagonal entries must be 0: the box is rectangular). Extra
    ``key=value`` pairs of the comment line (``preset``, ``time``, ...) are kept as the
    frame's ``info``. Coordinates are written with 17 significant digits, so a round trip
    is exact. A file may hold several frames (a trajectory). ``ase.io.read`` reads these
    files.

HOOMD GSD (optional, ``pip install skii[gsd]``)
    ``particles.position`` (float32, HOOMD's box-centred convention), ``particles.typeid``,
    ``particles.types`` (species names), ``configuration.box`` and ``configuration.step``
    (the time). GSD stores positions as float32, so a round trip is exact to ~1e-6 relative.

LAMMPS text dumps (read only)
    Recognised by content (a first line ``ITEM: TIMESTEP``, whatever the extension, e.g. a
    dump named ``.xyz``) or by the extensions ``.lammpstrj``, ``.dump``, ``.lammpsdump``.
    See :mod:`skii_glass.lammps` for the columns understood.

Species labels
    Names of the model's species (``A``, ``B``, ...) are used as they are; numeric labels
    (LAMMPS ``type`` 1, 2, ...) map to the model's species in order (1 -> the first); any
    other labels (e.g. ``H``, ``He``, ``Li``, as ``ase`` writes our files) need
    ``species_map``, a dict ``{label in the file: species name}`` (keys int or str).

Periodicity and the cell
    The x and y axes must be periodic (extended XYZ ``pbc``, LAMMPS boundary flags); z is
    ignored. :func:`read_xyz` and :func:`read_gsd` wrap particles outside the cell into it
    and warn (``UserWarning``) when any lies outside by more than a small tolerance (a wrong
    ``Lattice`` would otherwise go unnoticed); :func:`read_trajectory` takes them, silently,
    as unwrapped coordinates.

All writers are atomic: they write a temporary file in the same folder and rename it, so a
crash never leaves a half-written file behind. Corrupt or truncated files raise
``ValueError`` naming the file (and, for XYZ, the line).
"""

from __future__ import annotations

import os
import shlex
import tempfile
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .configuration import Configuration
from .lammps import _has_dump_suffix, is_lammps_dump, read_dump_frames
from .models import Mixture, get_preset

__all__ = [
    "read_xyz",
    "write_xyz",
    "read_gsd",
    "write_gsd",
    "read_lammps_dump",
    "read_configuration",
    "write_configuration",
    "Trajectory",
    "read_trajectory",
]

_XYZ_SUFFIXES = (".xyz", ".extxyz")
_GSD_SUFFIXES = (".gsd",)


# --------------------------------------------------------------------------- helpers
def _atomic_write(path: Path, write) -> None:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``.

    The temporary file lives in the destination folder so ``os.replace`` is an atomic
    rename on the same file system.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _as_frames(configs) -> list[Configuration]:
    if isinstance(configs, Configuration):
        return [configs]
    frames = list(configs)
    if not frames:
        raise ValueError("nothing to write: no configurations given")
    for c in frames:
        if not isinstance(c, Configuration):
            raise ValueError(f"expected Configuration objects, got {type(c).__name__}")
    return frames


def _resolve_mixture(mixture: Mixture | str | None, info: dict, where: str) -> Mixture:
    if isinstance(mixture, Mixture):
        return mixture
    name = mixture if mixture is not None else info.get("preset", "ka2d")
    try:
        return get_preset(str(name))
    except ValueError as err:
        raise ValueError(
            f"{where}: {err} (pass mixture= to read files of custom models)"
        ) from None


def _times_list(times, n_frames: int) -> list:
    if times is None:
        return [None] * n_frames
    times = list(np.atleast_1d(times))
    if len(times) != n_frames:
        raise ValueError(f"got {len(times)} times for {n_frames} frames")
    return times


# Particles further outside the cell than this fraction of a side are an error for the
# configuration readers (GSD stores float32 positions, hence not tighter).
_OUTSIDE_TOLERANCE = 1e-5


def _species_codes(
    labels, mixture: Mixture, species_map: dict | None, where: str
) -> np.ndarray:
    """Integer species codes of ``mixture`` for the species labels of a file.

    With ``species_map`` every label must be a key (compared as text); without it labels
    are the model's species names, or integers 1, 2, ... mapping to the species in order.
    """
    labels = np.asarray(labels).astype(str)
    unique, inverse = np.unique(labels, return_inverse=True)
    unique = [str(u) for u in unique]
    known = ", ".join(mixture.species)
    if species_map is not None:
        lookup = {}
        for key, value in dict(species_map).items():
            if str(value) not in mixture.species:
                raise ValueError(
                    f"{where}: the species map sends {key!r} to {value!r}, which is not a "
                    f"species of model {mixture.name!r} ({known})"
                )
            lookup[str(key).strip()] = mixture.species.index(str(value))
        missing = [u for u in unique if u not in lookup]
        if missing:
            raise ValueError(
                f"{where}: species label {missing[0]!r} of the file is not in the species "
                f"map (keys: {', '.join(lookup)}); add {missing[0]}=NAME to it"
            )
        codes = np.array([lookup[u] for u in unique], dtype=np.int64)
        return codes[inverse]
    if all(u in mixture.species for u in unique):
        codes = np.array([mixture.species.index(u) for u in unique], dtype=np.int64)
        return codes[inverse]
    if all(u.lstrip("+-").isdigit() for u in unique):
        codes = np.array([int(u) - 1 for u in unique], dtype=np.int64)
        bad = (codes < 0) | (codes >= mixture.n_species)
        if np.any(bad):
            first = np.asarray(unique)[bad][0]
            raise ValueError(
                f"{where}: type {first} has no species: model {mixture.name!r} has "
                f"{mixture.n_species} ({known}, types 1..{mixture.n_species} in that order); "
                "pass a species map (--species-map 1=A,2=B,...) or the right model"
            )
        return codes[inverse]
    bad = next(str(u) for u in unique if u not in mixture.species)
    hint = ",".join(f"{u}=NAME" for u in unique if u not in mixture.species)
    raise ValueError(
        f"{where}: unknown species {bad!r} for model {mixture.name!r} (species: {known}); "
        f"map the file's labels to the model's species, e.g. --species-map {hint} "
        "(species_map= in Python), or choose the model (--preset)"
    )


def _check_inside(pos: np.ndarray, box: np.ndarray, where: str, what: str) -> None:
    """Warn about positions outside ``[0, L)`` beyond the tolerance (they get wrapped).

    Not an error: periodic images are the same physical state, and unwrapped coordinates
    are legal; but a wrong cell would otherwise be wrapped in without a word.
    """
    tol = _OUTSIDE_TOLERANCE * box
    out = np.any((pos < -tol) | (pos >= box + tol), axis=1)
    if np.any(out):
        i = int(np.flatnonzero(out)[0])
        warnings.warn(
            f"{where}: {int(out.sum())} particle(s) lie outside the {what} (particle {i} at "
            f"{pos[i].tolist()}, box {box.tolist()}) and were wrapped into it; check the cell "
            "if these are not unwrapped coordinates",
            UserWarning,
            stacklevel=3,
        )


def _parse_pbc(text: str, where: str) -> None:
    """Require periodic x and y in an extended XYZ ``pbc`` entry (z is ignored)."""
    flags = text.split()
    truth = {"t": True, "true": True, "1": True, "f": False, "false": False, "0": False}
    if len(flags) != 3 or any(f.lower() not in truth for f in flags):
        raise ValueError(f'{where}: pbc must hold 3 flags T/F, got pbc="{text}"')
    for axis, flag in zip("xy", flags[:2], strict=False):
        if not truth[flag.lower()]:
            raise ValueError(
                f'{where}: pbc="{text}" makes the {axis} axis non-periodic; the x and y axes '
                'must be periodic (the descriptors assume a periodic box; z is ignored): '
                'write pbc="T T F" if the system is periodic in x and y'
            )


# --------------------------------------------------------------------------- XYZ
def _format_value(value) -> str:
    text = str(value)
    if text == "" or any(c in text for c in " \t\"'="):
        return '"' + text.replace('"', "'") + '"'
    return text


def _parse_scalar(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def write_xyz(
    path: str | os.PathLike,
    configs: Configuration | Iterable[Configuration],
    *,
    times: Sequence | None = None,
    info: dict | Sequence[dict] | None = None,
) -> None:
    """Write one or several configurations to an extended XYZ file (atomically).

    Parameters
    ----------
    path : path-like
        Destination; replaced if it exists.
    configs : Configuration or iterable of Configuration
        One frame per configuration.
    times : sequence, optional
        One time (e.g. MC sweeps) per frame, stored as ``time=`` in the comment line.
    info : dict or sequence of dict, optional
        Extra ``key=value`` pairs for the comment line (one dict for all frames, or one
        per frame). Keys must be identifiers; ``preset`` (the model name) is always written.

    Examples
    --------
    >>> import os, tempfile
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.5, 1.0], [2.0, 2.5]], ["A", "B"], box=3.0)
    >>> path = os.path.join(tempfile.mkdtemp(), "c.xyz")
    >>> write_xyz(path, c, times=[100])
    >>> print(open(path).read().splitlines()[1])  # doctest: +NORMALIZE_WHITESPACE
    Lattice="3 0 0 0 3 0 0 0 1" Properties=species:S:1:pos:R:3:Z:I:1 pbc="T T F"
    preset=ka2d time=100
    >>> read_xyz(path).positions.tolist()
    [[0.5, 1.0], [2.0, 2.5]]
    """
    frames = _as_frames(configs)
    times_l = _times_list(times, len(frames))
    if info is None or isinstance(info, dict):
        infos = [dict(info or {})] * len(frames)
    else:
        infos = [dict(d) for d in info]
        if len(infos) != len(frames):
            raise ValueError(f"got {len(infos)} info dicts for {len(frames)} frames")
    reserved = {"lattice", "properties", "pbc"}
    for d in infos:
        for key in d:
            if not str(key).isidentifier() or str(key).lower() in reserved:
                raise ValueError(f"invalid info key {key!r} for an XYZ comment line")

    chunks: list[str] = []
    for c, t, extra in zip(frames, times_l, infos, strict=True):
        lx, ly = (f"{float(v):.17g}" for v in c.box)
        header = (
            f'Lattice="{lx} 0 0 0 {ly} 0 0 0 1" Properties=species:S:1:pos:R:3:Z:I:1 '
            f'pbc="T T F" preset={_format_value(c.mixture.name)}'
        )
        if t is not None:
            header += f" time={_format_value(t.item() if hasattr(t, 'item') else t)}"
        for key, value in extra.items():
            if key in ("preset", "time"):
                continue
            header += f" {key}={_format_value(value)}"
        names = c.species_names
        lines = [
            f"{n} {x!r} {y!r} 0 {z}"
            for n, x, y, z in zip(
                names,
                c.positions[:, 0].tolist(),
                c.positions[:, 1].tolist(),
                (c.species + 1).tolist(),
                strict=True,
            )
        ]
        chunks.append(f"{c.n_particles}\n{header}\n" + "\n".join(lines) + "\n")

    def _write(tmp):
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.writelines(chunks)

    _atomic_write(Path(path), _write)


def _parse_comment(line: str, where: str) -> dict:
    try:
        tokens = shlex.split(line, posix=True)
    except ValueError as err:
        raise ValueError(f"{where}: cannot parse comment line ({err})") from None
    info: dict = {}
    for tok in tokens:
        if "=" not in tok:
            continue  # a bare flag; extended XYZ allows them, we have no use for them
        key, value = tok.split("=", 1)
        info[key] = value
    return info


def _parse_lattice(text: str, where: str) -> np.ndarray:
    try:
        vals = np.array([float(v) for v in text.split()], dtype=np.float64)
    except ValueError:
        raise ValueError(f"{where}: Lattice must hold 9 numbers, got {text!r}") from None
    if vals.shape != (9,) or not np.all(np.isfinite(vals)):
        raise ValueError(f"{where}: Lattice must hold 9 finite numbers, got {text!r}")
    cell = vals.reshape(3, 3)
    if cell[0, 1] != 0 or cell[1, 0] != 0 or np.any(cell[:2, 2] != 0) or np.any(cell[2, :2] != 0):
        raise ValueError(f"{where}: only rectangular boxes are supported, got Lattice {text!r}")
    box = np.array([cell[0, 0], cell[1, 1]])
    if np.any(box <= 0):
        raise ValueError(f"{where}: box sides must be positive, got {box.tolist()}")
    return box


def _parse_properties(text: str, where: str) -> tuple[int, int, int]:
    """Column of the species, of x, and the number of columns, from ``Properties``."""
    parts = text.split(":")
    if len(parts) % 3:
        raise ValueError(f"{where}: malformed Properties {text!r}")
    col = 0
    species_col = pos_col = -1
    for name, kind, count in zip(parts[::3], parts[1::3], parts[2::3], strict=True):
        try:
            n = int(count)
        except ValueError:
            raise ValueError(f"{where}: malformed Properties {text!r}") from None
        if name == "species":
            if kind != "S" or n != 1:
                raise ValueError(f"{where}: species must be species:S:1 in Properties")
            species_col = col
        elif name == "pos":
            if kind != "R" or n not in (2, 3):
                raise ValueError(f"{where}: pos must be pos:R:3 (or R:2) in Properties")
            pos_col = col
        col += n
    if species_col < 0 or pos_col < 0:
        raise ValueError(f"{where}: Properties must contain species and pos, got {text!r}")
    return species_col, pos_col, col


def _iter_xyz_frames(path: Path):
    """Yield ``(positions, species_names, box, info)`` per frame, validating as it goes."""
    name = str(path)
    with open(path, encoding="utf-8", errors="strict") as fh:
        lineno = 0
        while True:
            line = fh.readline()
            lineno += 1
            if line == "":
                return
            if line.strip() == "":
                # Trailing blank lines at the end of a file are harmless.
                rest = fh.read()
                if rest.strip():
                    raise ValueError(f"{name}:{lineno}: blank line where a frame should start")
                return
            try:
                n = int(line.strip())
            except ValueError:
                raise ValueError(
                    f"{name}:{lineno}: expected the number of particles, got {line.strip()!r}"
                ) from None
            if n < 1:
                raise ValueError(f"{name}:{lineno}: number of particles must be positive")
            comment = fh.readline()
            lineno += 1
            if comment == "":
                raise ValueError(f"{name}:{lineno}: file truncated: missing comment line")
            where = f"{name}:{lineno}"
            info = _parse_comment(comment.strip(), where)
            if "Lattice" not in info:
                raise ValueError(f"{where}: comment line has no Lattice (box) entry")
            box = _parse_lattice(info.pop("Lattice"), where)
            species_col, pos_col, n_cols = _parse_properties(
                info.pop("Properties", "species:S:1:pos:R:3"), where
            )
            if "pbc" in info:
                _parse_pbc(info.pop("pbc"), where)
            info = {k: _parse_scalar(v) for k, v in info.items()}
            names = []
            pos = np.empty((n, 2), dtype=np.float64)
            for i in range(n):
                row = fh.readline()
                lineno += 1
                if row == "":
                    raise ValueError(
                        f"{name}:{lineno}: file truncated: expected {n} particle lines, "
                        f"got {i}"
                    )
                fields = row.split()
                if len(fields) != n_cols:
                    raise ValueError(
                        f"{name}:{lineno}: expected {n_cols} columns, got {len(fields)}"
                    )
                names.append(fields[species_col])
                try:
                    pos[i, 0] = float(fields[pos_col])
                    pos[i, 1] = float(fields[pos_col + 1])
                except ValueError:
                    raise ValueError(
                        f"{name}:{lineno}: coordinates are not numbers: {row.strip()!r}"
                    ) from None
                if not (np.isfinite(pos[i, 0]) and np.isfinite(pos[i, 1])):
                    raise ValueError(f"{name}:{lineno}: NaN or infinite coordinate")
            yield pos, names, box, info, where


def read_xyz(
    path: str | os.PathLike,
    index: int | slice | None = -1,
    *,
    mixture: Mixture | str | None = None,
    return_info: bool = False,
    species_map: dict | None = None,
):
    """Read configurations from an extended XYZ file.

    Parameters
    ----------
    path : path-like
    index : int, slice or None, default -1
        Which frame(s): an int returns one :class:`Configuration` (default: the last);
        a slice or ``None`` (all frames) returns a list.
    mixture : Mixture or str, optional
        The model the species names belong to. Default: the ``preset`` key of the file,
        else ``ka2d``.
    return_info : bool, default False
        Also return the comment-line ``key=value`` pairs (e.g. ``time``) as a dict (a list
        of dicts for several frames).
    species_map : dict, optional
        ``{label in the file: species name}``, e.g. ``{"H": "A", "He": "B", "Li": "C"}``
        for a file ``ase`` wrote from ours. Default: names of the model's species, or
        integers 1, 2, ... in the model's order.

    Raises
    ------
    ValueError
        Malformed, truncated or inconsistent file (the message names file and line),
        unknown species, a non-periodic x or y axis (``pbc``), or a frame index out of
        range. Particles outside the ``Lattice`` cell are wrapped in with a
        ``UserWarning``.

    Examples
    --------
    >>> import os, tempfile
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.5, 1.0]], ["C"], box=[3.0, 4.0])
    >>> path = os.path.join(tempfile.mkdtemp(), "c.xyz")
    >>> write_xyz(path, [c, c], times=[0, 10])
    >>> frames = read_xyz(path, None)
    >>> len(frames), frames[1].box.tolist(), frames[1].species_names.tolist()
    (2, [3.0, 4.0], ['C'])
    >>> read_xyz(path, 0, return_info=True)[1]
    {'preset': 'ka2d', 'time': 0}
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        raw = list(_iter_xyz_frames(path))
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a text (extended XYZ) file ({err.reason})") from None
    if not raw:
        raise ValueError(f"{path}: empty file, no frames")
    single = isinstance(index, int | np.integer)
    if single:
        if not -len(raw) <= index < len(raw):
            raise ValueError(f"{path}: frame {index} out of range ({len(raw)} frames)")
        selected = [raw[index]]
    else:
        selected = raw[index if index is not None else slice(None)]
    configs, infos = [], []
    for pos, names, box, info, where in selected:
        mix = _resolve_mixture(mixture, info, where)
        _check_inside(pos, box, where, "Lattice cell [0, Lx) x [0, Ly)")
        codes = _species_codes(names, mix, species_map, where)
        try:
            configs.append(Configuration(pos, codes, box, mix))
        except ValueError as err:
            raise ValueError(f"{where}: {err}") from None
        infos.append(info)
    if single:
        return (configs[0], infos[0]) if return_info else configs[0]
    return (configs, infos) if return_info else configs


# --------------------------------------------------------------------------- GSD
def _import_gsd():
    try:
        import gsd.hoomd
    except ImportError:
        raise ImportError(
            "reading or writing GSD files needs the optional 'gsd' package: "
            "pip install 'skii[gsd]' (or pip install gsd)"
        ) from None
    return gsd.hoomd


def write_gsd(
    path: str | os.PathLike,
    configs: Configuration | Iterable[Configuration],
    *,
    times: Sequence[int] | None = None,
) -> None:
    """Write configurations to a HOOMD GSD file (atomically; needs the ``gsd`` extra).

    Positions are stored as float32 in HOOMD's convention (box centred on the origin);
    species names become ``particles.types``; ``times`` (integers) become
    ``configuration.step``.

    Examples
    --------
    >>> import os, tempfile
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.5, 1.0], [2.0, 2.5]], ["A", "B"], box=3.0)
    >>> path = os.path.join(tempfile.mkdtemp(), "c.gsd")
    >>> write_gsd(path, c)
    >>> read_gsd(path).positions.tolist()
    [[0.5, 1.0], [2.0, 2.5]]
    """
    hoomd = _import_gsd()
    frames = _as_frames(configs)
    times_l = _times_list(times, len(frames))

    def _write(tmp):
        with hoomd.open(tmp, mode="w") as traj:
            for i, (c, t) in enumerate(zip(frames, times_l, strict=True)):
                f = hoomd.Frame()
                f.configuration.step = int(t) if t is not None else i
                f.configuration.dimensions = 2
                f.configuration.box = [float(c.box[0]), float(c.box[1]), 1.0, 0.0, 0.0, 0.0]
                f.particles.N = c.n_particles
                f.particles.types = list(c.mixture.species)
                f.particles.typeid = c.species.astype(np.uint32)
                pos = np.zeros((c.n_particles, 3), dtype=np.float32)
                pos[:, :2] = c.positions - c.box / 2.0
                f.particles.position = pos
                # The model name, so the reader can pick the right preset.
                f.log["skii/preset"] = np.frombuffer(c.mixture.name.encode(), dtype=np.uint8)
                # configuration.box is float32; keep the exact box for our own reader.
                f.log["skii/box"] = np.asarray(c.box, dtype=np.float64)
                traj.append(f)

    _atomic_write(Path(path), _write)


def read_gsd(
    path: str | os.PathLike,
    index: int | slice | None = -1,
    *,
    mixture: Mixture | str | None = None,
    return_info: bool = False,
    species_map: dict | None = None,
):
    """Read configurations from a HOOMD GSD file (needs the ``gsd`` extra).

    ``index``, ``mixture``, ``return_info`` and ``species_map`` behave as in
    :func:`read_xyz`; the info dict holds ``time`` (``configuration.step``) and ``preset``
    when the file has it. Species are matched by name (``particles.types``) to the model's
    species. Particles outside the box ``[-L/2, L/2)`` are wrapped in with a ``UserWarning``.

    Examples
    --------
    >>> import os, tempfile
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.5, 1.0]], ["B"], box=3.0)
    >>> path = os.path.join(tempfile.mkdtemp(), "c.gsd")
    >>> write_gsd(path, [c, c], times=[0, 500])
    >>> configs, infos = read_gsd(path, None, return_info=True)
    >>> len(configs), infos[1]["time"]
    (2, 500)
    """
    hoomd = _import_gsd()
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    try:
        traj = hoomd.open(str(path), mode="r")
    except Exception as err:  # gsd raises RuntimeError/OSError for corrupt files
        raise ValueError(f"{path}: not a readable GSD file ({err})") from None
    with traj:
        n = len(traj)
        if n == 0:
            raise ValueError(f"{path}: GSD file holds no frames")
        single = isinstance(index, int | np.integer)
        if single:
            if not -n <= index < n:
                raise ValueError(f"{path}: frame {index} out of range ({n} frames)")
            which = [int(index) % n]
        else:
            which = list(range(n))[index if index is not None else slice(None)]
        configs, infos = [], []
        for i in which:
            pos, names, box, image, info, where = _gsd_frame(traj, i, path)
            mix = _resolve_mixture(mixture, info, where)
            _check_inside(pos, box, where, "box [-Lx/2, Lx/2) x [-Ly/2, Ly/2)")
            codes = _species_codes(names, mix, species_map, where)
            try:
                configs.append(Configuration(pos, codes, box, mix))
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None
            infos.append(info)
    if single:
        return (configs[0], infos[0]) if return_info else configs[0]
    return (configs, infos) if return_info else configs


def _gsd_frame(traj, i: int, path: Path):
    """Positions shifted to ``[0, L)``, type names, box, image flags, info of GSD frame i."""
    where = f"{path}: frame {i}"
    try:
        f = traj[i]
    except Exception as err:
        raise ValueError(f"{where}: cannot read frame ({err})") from None
    box = np.asarray(f.configuration.box, dtype=np.float64)
    if np.any(box[3:] != 0):
        raise ValueError(
            f"{where}: triclinic box (tilt factors {box[3:].tolist()}): only rectangular "
            "boxes are supported"
        )
    if "skii/box" in f.log:
        exact = np.asarray(f.log["skii/box"], dtype=np.float64)
        if exact.shape == (2,) and np.allclose(exact, box[:2], rtol=1e-6):
            box[:2] = exact
    info: dict = {"time": int(f.configuration.step)}
    if "skii/preset" in f.log:
        info["preset"] = bytes(np.asarray(f.log["skii/preset"], np.uint8)).decode()
    types = list(f.particles.types)
    typeid = np.asarray(f.particles.typeid, dtype=np.int64)
    if typeid.size and (typeid.min() < 0 or typeid.max() >= len(types)):
        raise ValueError(f"{where}: typeid refers to a type that is not listed")
    names = np.asarray(types, dtype=object)[typeid].astype(str)
    pos = np.asarray(f.particles.position, dtype=np.float64)
    if pos.shape != (f.particles.N, 3):
        raise ValueError(f"{where}: positions have shape {pos.shape}")
    if not np.all(np.isfinite(pos)):
        raise ValueError(f"{where}: NaN or infinite positions")
    image = np.asarray(f.particles.image, dtype=np.int64)[:, :2]
    return pos[:, :2] + box[:2] / 2.0, names, box[:2].copy(), image, info, where


# --------------------------------------------------------------------------- LAMMPS
def read_lammps_dump(
    path: str | os.PathLike,
    index: int | slice | None = -1,
    *,
    mixture: Mixture | str | None = None,
    species_map: dict | None = None,
    return_info: bool = False,
):
    """Read configurations from a LAMMPS text dump (see :mod:`skii_glass.lammps`).

    ``index``, ``mixture`` (default ``ka2d``), ``species_map`` and ``return_info`` behave as
    in :func:`read_xyz`; the info dict holds ``time`` (the ``TIMESTEP``). Numeric ``type``
    labels map to the model's species in order (1 -> the first) unless ``species_map``
    says otherwise. Unwrapped coordinates are wrapped into the box; atoms are in the
    order of their ``id`` when the file has one.

    Examples
    --------
    >>> import os, tempfile
    >>> text = '''ITEM: TIMESTEP
    ... 0
    ... ITEM: NUMBER OF ATOMS
    ... 2
    ... ITEM: BOX BOUNDS pp pp pp
    ... 0.0 4.0
    ... 0.0 4.0
    ... -0.5 0.5
    ... ITEM: ATOMS id type xu yu
    ... 2 3 5.0 1.0
    ... 1 1 0.5 0.5
    ... '''
    >>> p = os.path.join(tempfile.mkdtemp(), "run.xyz")  # a dump named .xyz
    >>> _ = open(p, "w").write(text)
    >>> c = read_lammps_dump(p)
    >>> c.positions.tolist(), c.species_names.tolist()
    ([[0.5, 0.5], [1.0, 1.0]], ['A', 'C'])
    >>> read_lammps_dump(p, species_map={1: "B", 3: "A"}).species_names.tolist()
    ['B', 'A']
    """
    frames = read_dump_frames(path, index)
    configs, infos = [], []
    for f in frames:
        mix = _resolve_mixture(mixture, {}, f.where)
        codes = _species_codes(f.labels, mix, species_map, f.where)
        try:
            configs.append(Configuration(f.positions, codes, f.box, mix))
        except ValueError as err:
            raise ValueError(f"{f.where}: {err}") from None
        infos.append({"time": f.timestep})
    if isinstance(index, int | np.integer):
        return (configs[0], infos[0]) if return_info else configs[0]
    return (configs, infos) if return_info else configs


# --------------------------------------------------------------------------- dispatch
def _kind(path: Path, *, reading: bool = False) -> str:
    if reading and is_lammps_dump(path):
        return "lammps"  # recognised by content: dumps are often named .xyz
    suffix = path.suffix.lower()
    if suffix in _XYZ_SUFFIXES:
        return "xyz"
    if suffix in _GSD_SUFFIXES:
        return "gsd"
    if reading and _has_dump_suffix(path):
        return "lammps"
    if reading and suffix == ".npz":
        return "npz"
    readable = ", a LAMMPS text dump or simulate's trajectory.npz" if reading else ""
    raise ValueError(
        f"{path}: unknown configuration format {suffix!r}; use .xyz/.extxyz or .gsd{readable}"
    )


def _read_frames(
    path: str | os.PathLike,
    index: int | None,
    *,
    mixture: Mixture | str | None = None,
    species_map: dict | None = None,
) -> list[Configuration]:
    """Frame ``index`` (as a one-element list) or, with ``None``, every frame, any format."""
    path = Path(path)
    kind = _kind(path, reading=True)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if kind == "npz":
        traj = read_trajectory(path, mixture=mixture, species_map=species_map)
        if index is None:
            return [traj.configuration(i) for i in range(traj.n_frames)]
        if not -traj.n_frames <= index < traj.n_frames:
            raise ValueError(f"{path}: frame {index} out of range ({traj.n_frames} frames)")
        return [traj.configuration(index)]
    reader = {"xyz": read_xyz, "gsd": read_gsd, "lammps": read_lammps_dump}[kind]
    if index is not None:
        return [reader(path, index, mixture=mixture, species_map=species_map)]
    return reader(path, None, mixture=mixture, species_map=species_map)


def read_configuration(
    path: str | os.PathLike,
    *,
    mixture: Mixture | str | None = None,
    index: int = -1,
    species_map: dict | None = None,
) -> Configuration:
    """Read one configuration from extended XYZ, GSD, a LAMMPS dump or ``trajectory.npz``.

    The format is recognised from the content for LAMMPS dumps (first line
    ``ITEM: TIMESTEP``, whatever the extension), else from the extension
    (``.xyz``/``.extxyz``, ``.gsd``, ``.lammpstrj``/``.dump``/``.lammpsdump``, ``.npz``).

    Parameters
    ----------
    path : path-like
    mixture : Mixture or str, optional
        The model; default: the file's ``preset`` entry, else ``ka2d``.
    index : int, default -1
        Frame of a multi-frame file (default: the last).
    species_map : dict, optional
        ``{label in the file: species name}`` (keys int or str), e.g. ``{1: "A", 2: "B"}``
        or ``{"H": "A", "He": "B", "Li": "C"}``. Default: species names as they are, and
        integer labels 1, 2, ... in the model's order.

    Examples
    --------
    >>> import os, tempfile
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.5, 1.0]], ["A"], box=3.0)
    >>> path = os.path.join(tempfile.mkdtemp(), "c.extxyz")
    >>> write_configuration(path, c)
    >>> read_configuration(path).positions.tolist()
    [[0.5, 1.0]]
    """
    if isinstance(index, bool) or not isinstance(index, int | np.integer):
        raise ValueError(f"index must be an integer frame number, got {index!r}")
    return _read_frames(path, int(index), mixture=mixture, species_map=species_map)[0]


def write_configuration(
    path: str | os.PathLike,
    configs: Configuration | Iterable[Configuration],
    *,
    times: Sequence | None = None,
) -> None:
    """Write configurations, choosing the format by extension (.xyz/.extxyz or .gsd).

    Parameters
    ----------
    path : path
        Output file; ``.xyz``/``.extxyz`` write extended XYZ, ``.gsd`` needs the ``gsd``
        package. Other extensions raise ``ValueError``.
    configs : Configuration or iterable of Configuration
        One frame or a trajectory.
    times : sequence, optional
        Time stamp of each frame.

    Examples
    --------
    >>> import os, tempfile
    >>> from skii_glass import Configuration
    >>> c = Configuration([[0.5, 1.0], [2.0, 2.5]], ["A", "B"], box=3.0)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = os.path.join(tmp, "traj.xyz")
    ...     write_configuration(path, [c, c], times=[0, 10])
    ...     frames = read_xyz(path, None)
    ...     last = read_configuration(path)
    >>> len(frames), last.species_names.tolist()
    (2, ['A', 'B'])
    >>> write_configuration("c.pdb", c)
    Traceback (most recent call last):
    ...
    ValueError: c.pdb: unknown configuration format '.pdb'; use .xyz/.extxyz or .gsd
    """
    path = Path(path)
    if _kind(path) == "xyz":
        write_xyz(path, configs, times=times)
    else:
        write_gsd(path, configs, times=times)


# --------------------------------------------------------------------------- trajectories
@dataclass(eq=False)
class Trajectory:
    """Unwrapped positions of the same particles over several frames, in a fixed box.

    Attributes
    ----------
    positions : ndarray, shape (n_frames, N, 2)
        Unwrapped positions (a particle's coordinate does not jump by a box side when it
        crosses the boundary), relative to the box's lower corner.
    species : ndarray of int64, shape (N,)
        Species codes of ``mixture``.
    box : ndarray, shape (2,)
    times : ndarray, shape (n_frames,)
        Frame times: the file's (LAMMPS ``TIMESTEP``, GSD ``configuration.step``, the
        extended XYZ ``time`` entry, else the frame number), times ``timestep`` if given.
    mixture : Mixture
    source : str
        The file read.

    Examples
    --------
    >>> import numpy as np
    >>> from skii_glass.models import get_preset
    >>> t = Trajectory(np.zeros((2, 1, 2)), np.array([0]), np.array([3.0, 3.0]),
    ...                np.array([0, 10]), get_preset("ka2d"), "demo")
    >>> t.n_frames, t.n_particles, t.species_names.tolist()
    (2, 1, ['A'])
    """

    positions: np.ndarray
    species: np.ndarray
    box: np.ndarray
    times: np.ndarray
    mixture: Mixture
    source: str = ""

    @property
    def n_frames(self) -> int:
        return self.positions.shape[0]

    @property
    def n_particles(self) -> int:
        return self.positions.shape[1]

    @property
    def species_names(self) -> np.ndarray:
        return np.asarray(self.mixture.species)[self.species]

    def configuration(self, index: int = 0) -> Configuration:
        """Frame ``index`` as a :class:`Configuration` (positions wrapped into the box)."""
        return Configuration(self.positions[index], self.species, self.box, self.mixture)


def _unwrap_minimum_image(pos: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Unwrap wrapped frames: each frame-to-frame step is taken as its minimum image.

    Exact when no particle moves more than half a box side between stored frames (true
    for any trajectory stored often enough to be analysed), and harmless for positions
    that were already unwrapped under the same condition.
    """
    step = np.diff(pos, axis=0)
    step -= box * np.rint(step / box)
    return np.concatenate([pos[:1], pos[:1] + np.cumsum(step, axis=0)])


def _stack_frames(frames, path: Path):
    """Check that (pos, codes, box, where) frames describe one system; stack positions."""
    pos0, codes0, box0, _ = frames[0]
    for pos, codes, box, where in frames[1:]:
        if pos.shape != pos0.shape:
            raise ValueError(
                f"{where}: {pos.shape[0]} particles, but frame 0 has {pos0.shape[0]}; a "
                "trajectory needs the same particles in every frame"
            )
        if not np.array_equal(codes, codes0):
            i = int(np.flatnonzero(codes != codes0)[0])
            raise ValueError(
                f"{where}: particle {i} changes species from frame 0; a trajectory needs the "
                "same particles in the same order (dump the id column)"
            )
        if not np.allclose(box, box0, rtol=1e-6, atol=0):
            raise ValueError(
                f"{where}: box {box.tolist()} differs from frame 0's {box0.tolist()}; only "
                "fixed-box (NVT) trajectories are supported"
            )
    return np.stack([f[0] for f in frames]), codes0, box0


def read_trajectory(
    path: str | os.PathLike,
    *,
    mixture: Mixture | str | None = None,
    species_map: dict | None = None,
    timestep: float | None = None,
) -> Trajectory:
    """Read a trajectory: a LAMMPS dump, extended XYZ, GSD or ``simulate``'s ``trajectory.npz``.

    Positions come back unwrapped. LAMMPS ``xu yu`` / ``xsu ysu`` columns, image flags
    ``ix iy``, GSD ``particles.image`` and ``trajectory.npz`` are unwrapped already; other
    files (wrapped ``x y``, extended XYZ) are unwrapped by taking each step between
    stored frames as its minimum image, which needs every particle to move less than half
    a box side between frames. Positions outside the cell are legal here (unwrapped).

    Parameters
    ----------
    path : path-like
    mixture : Mixture or str, optional
        The model; default: the file's ``preset`` entry, else ``ka2d``.
    species_map : dict, optional
        ``{label in the file: species name}``, as in :func:`read_configuration` (not used
        for ``trajectory.npz``, whose species are the model's codes).
    timestep : float, optional
        Multiply the file's frame times by it (e.g. the MD time step, to get times in
        time units from LAMMPS ``TIMESTEP`` numbers).

    Returns
    -------
    Trajectory

    Raises
    ------
    ValueError
        Frames with different particles, species or boxes (the message names the
        frame), and everything :func:`read_configuration` rejects but unwrapped positions.

    Examples
    --------
    >>> import os, tempfile
    >>> from skii_glass import Configuration
    >>> a = Configuration([[0.1, 1.0]], ["A"], box=3.0)
    >>> b = Configuration([[2.9, 1.0]], ["A"], box=3.0)  # moved -0.2 across x = 0
    >>> path = os.path.join(tempfile.mkdtemp(), "t.xyz")
    >>> write_configuration(path, [a, b], times=[0, 5])
    >>> t = read_trajectory(path, timestep=0.5)
    >>> t.positions[:, 0, 0].round(12).tolist(), t.times.tolist()
    ([0.1, -0.1], [0.0, 2.5])
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if timestep is not None:
        timestep = float(timestep)
        if not (np.isfinite(timestep) and timestep > 0):
            raise ValueError(f"timestep must be positive and finite, got {timestep}")
    kind = _kind(path, reading=True)
    known_unwrapped = False
    if kind == "npz":
        traj = _read_npz_trajectory(path, mixture, species_map)
        pos, codes, box, times, mix = traj
        known_unwrapped = True
    elif kind == "lammps":
        dump = read_dump_frames(path)
        mix = _resolve_mixture(mixture, {}, str(path))
        ids0 = dump[0].ids
        for f in dump[1:]:
            if f.ids is not None and ids0 is not None and f.positions.shape == (
                dump[0].positions.shape
            ) and not np.array_equal(f.ids, ids0):
                raise ValueError(
                    f"{f.where}: the atom ids differ from frame 0's; a trajectory needs the "
                    "same atoms in every frame"
                )
        frames = [(f.positions, _species_codes(f.labels, mix, species_map, f.where), f.box,
                   f.where) for f in dump]
        pos, codes, box = _stack_frames(frames, path)
        times = np.array([f.timestep for f in dump])
        known_unwrapped = all(f.unwrapped for f in dump)
    elif kind == "xyz":
        raw = list(_iter_xyz_frames(path))
        if not raw:
            raise ValueError(f"{path}: empty file, no frames")
        mix = _resolve_mixture(mixture, raw[0][3], raw[0][4])
        frames = [(p, _species_codes(n, mix, species_map, w), b, w) for p, n, b, _, w in raw]
        pos, codes, box = _stack_frames(frames, path)
        if all("time" in r[3] for r in raw):
            times = np.array([r[3]["time"] for r in raw])
        else:
            times = np.arange(len(raw))
    else:
        hoomd = _import_gsd()
        try:
            handle = hoomd.open(str(path), mode="r")
        except Exception as err:
            raise ValueError(f"{path}: not a readable GSD file ({err})") from None
        with handle:
            if len(handle) == 0:
                raise ValueError(f"{path}: GSD file holds no frames")
            raw = [_gsd_frame(handle, i, path) for i in range(len(handle))]
        mix = _resolve_mixture(mixture, raw[0][4], raw[0][5])
        frames = [(p + img * b, _species_codes(n, mix, species_map, w), b, w)
                  for p, n, b, img, _, w in raw]
        pos, codes, box = _stack_frames(frames, path)
        times = np.array([r[4]["time"] for r in raw])
        known_unwrapped = any(np.any(r[3] != 0) for r in raw)
    if not known_unwrapped:
        pos = _unwrap_minimum_image(pos, box)
    times = np.asarray(times)
    if timestep is not None:
        times = times * timestep
    return Trajectory(pos, codes, box, times, mix, str(path))


def _read_npz_trajectory(path: Path, mixture, species_map):
    if species_map is not None:
        raise ValueError(
            f"{path}: a species map does not apply to trajectory.npz (its species are the "
            "model's codes); drop --species-map / species_map"
        )
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in ("times", "positions", "species", "box") if k not in data]
            if missing:
                raise ValueError(
                    f"{path}: not a trajectory.npz written by `skii-glass simulate` "
                    f"(missing {', '.join(missing)})"
                )
            times, pos = np.asarray(data["times"]), np.asarray(data["positions"], float)
            codes, box = np.asarray(data["species"]), np.asarray(data["box"], float)
            preset = str(data["preset"]) if "preset" in data else "ka2d"
    except (OSError, EOFError) as err:
        raise ValueError(f"{path}: not a readable npz file ({err})") from None
    mix = _resolve_mixture(mixture, {"preset": preset}, str(path))
    if pos.ndim != 3 or pos.shape[2] != 2 or pos.shape[0] != times.shape[0]:
        raise ValueError(f"{path}: positions of shape {pos.shape} do not match "
                         f"{times.shape[0]} times")
    if codes.shape != (pos.shape[1],) or box.shape != (2,):
        raise ValueError(f"{path}: species or box do not match {pos.shape[1]} particles")
    if not np.all(np.isfinite(pos)):
        raise ValueError(f"{path}: NaN or infinite positions")
    # Validates the species codes and box against the model.
    Configuration(pos[0], codes, box, mix)
    return pos, codes.astype(np.int64), box, times, mix
