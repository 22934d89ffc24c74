"""Configuration files: extended XYZ (own reader and writer) and HOOMD GSD.

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

All writers are atomic: they write a temporary file in the same folder and rename it, so a
crash never leaves a half-written file behind. Corrupt or truncated files raise
``ValueError`` naming the file (and, for XYZ, the line).
"""

from __future__ import annotations

import os
import shlex
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .configuration import Configuration
from .models import Mixture, get_preset

__all__ = [
    "read_xyz",
    "write_xyz",
    "read_gsd",
    "write_gsd",
    "read_configuration",
    "write_configuration",
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
            info.pop("pbc", None)
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

    Raises
    ------
    ValueError
        Malformed, truncated or inconsistent file (the message names file and line),
        unknown species, or a frame index out of range.

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
        try:
            configs.append(Configuration(pos, np.array(names), box, mix))
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
):
    """Read configurations from a HOOMD GSD file (needs the ``gsd`` extra).

    ``index``, ``mixture`` and ``return_info`` behave as in :func:`read_xyz`; the info
    dict holds ``time`` (``configuration.step``) and ``preset`` when the file has it.
    Species are matched by name (``particles.types``) to the model's species.

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
            where = f"{path}: frame {i}"
            try:
                f = traj[i]
            except Exception as err:
                raise ValueError(f"{where}: cannot read frame ({err})") from None
            box = np.asarray(f.configuration.box, dtype=np.float64)
            if np.any(box[3:] != 0):
                raise ValueError(f"{where}: only rectangular boxes are supported")
            if "skii/box" in f.log:
                exact = np.asarray(f.log["skii/box"], dtype=np.float64)
                if exact.shape == (2,) and np.allclose(exact, box[:2], rtol=1e-6):
                    box[:2] = exact
            info: dict = {"time": int(f.configuration.step)}
            if "skii/preset" in f.log:
                info["preset"] = bytes(np.asarray(f.log["skii/preset"], np.uint8)).decode()
            mix = _resolve_mixture(mixture, info, where)
            types = list(f.particles.types)
            typeid = np.asarray(f.particles.typeid, dtype=np.int64)
            if typeid.size and (typeid.min() < 0 or typeid.max() >= len(types)):
                raise ValueError(f"{where}: typeid refers to a type that is not listed")
            names = np.asarray(types, dtype=object)[typeid]
            pos = np.asarray(f.particles.position, dtype=np.float64)
            if pos.shape != (f.particles.N, 3):
                raise ValueError(f"{where}: positions have shape {pos.shape}")
            try:
                configs.append(
                    Configuration(pos[:, :2] + box[:2] / 2.0, names.astype(str), box[:2], mix)
                )
            except ValueError as err:
                raise ValueError(f"{where}: {err}") from None
            infos.append(info)
    if single:
        return (configs[0], infos[0]) if return_info else configs[0]
    return (configs, infos) if return_info else configs


# --------------------------------------------------------------------------- dispatch
def _kind(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in _XYZ_SUFFIXES:
        return "xyz"
    if suffix in _GSD_SUFFIXES:
        return "gsd"
    raise ValueError(
        f"{path}: unknown configuration format {suffix!r}; use .xyz/.extxyz or .gsd"
    )


def read_configuration(
    path: str | os.PathLike, *, mixture: Mixture | str | None = None, index: int = -1
) -> Configuration:
    """Read one configuration, choosing the format by extension (.xyz/.extxyz or .gsd).

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
    path = Path(path)
    if _kind(path) == "xyz":
        return read_xyz(path, index, mixture=mixture)
    return read_gsd(path, index, mixture=mixture)


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
