"""LAMMPS text dumps (``dump ... atom`` / ``dump ... custom``): a reader of the raw frames.

The format (LAMMPS manual, ``dump`` command) is a sequence of frames::

    ITEM: TIMESTEP
    1000
    ITEM: NUMBER OF ATOMS
    3
    ITEM: BOX BOUNDS pp pp pp
    0.0 10.0
    0.0 10.0
    -0.5 0.5
    ITEM: ATOMS id type xu yu zu
    1 1 0.5 0.5 0.0
    ...

Recognised here: the optional ``ITEM: TIME`` and ``ITEM: UNITS`` sections; the columns
``id`` (optional: without it the file order is kept), ``type`` or ``element`` (the species
label), one pair of ``x y`` (as written), ``xu yu`` (unwrapped), ``xs ys`` (scaled to the
box) or ``xsu ysu`` (scaled, unwrapped), and the image flags ``ix iy`` when present
(``x + ix Lx`` is the unwrapped coordinate). Atoms are sorted by ``id`` when there is one.
The boundary flags of ``BOX BOUNDS`` must be periodic (``pp``) in x and y, because the
structural descriptors assume a periodic box; z (bounds, flags and coordinates) is
ignored. Triclinic boxes (``BOX BOUNDS xy xz yz ...``) are rejected.

This module only parses; :func:`skii_glass.io.read_configuration` and
:func:`skii_glass.io.read_trajectory` map the species labels to a model and build
configurations or trajectories.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["DumpFrame", "is_lammps_dump", "read_dump_frames"]

_SUFFIXES = (".lammpstrj", ".dump", ".lammpsdump")

# Coordinate column pairs in order of preference: unwrapped first (they need no image flags).
_COORDINATES = (("xu", "yu"), ("xsu", "ysu"), ("x", "y"), ("xs", "ys"))


@dataclass
class DumpFrame:
    """One frame of a LAMMPS text dump, before any species mapping.

    Attributes
    ----------
    timestep : int
        The ``ITEM: TIMESTEP`` value.
    positions : ndarray, shape (N, 2)
        x and y relative to the lower box bound (so the box is ``[0, Lx) x [0, Ly)``);
        unwrapped when the file has unwrapped coordinates or image flags, else as written.
    labels : ndarray of str, shape (N,)
        The ``type`` (or ``element``) column, in atom order (sorted by id).
    ids : ndarray of int64 or None
        Sorted atom ids, or ``None`` when the file has no ``id`` column.
    box : ndarray, shape (2,)
        ``(Lx, Ly)``.
    unwrapped : bool
        Whether ``positions`` are known to be unwrapped (``xu``/``xsu`` or ``ix iy``).
    where : str
        ``"FILE:LINE (frame K)"`` of the frame's ``ITEM: TIMESTEP`` line, for messages.
    label_column : str
        ``"type"`` or ``"element"``.
    """

    timestep: int
    positions: np.ndarray
    labels: np.ndarray
    ids: np.ndarray | None
    box: np.ndarray
    unwrapped: bool
    where: str
    label_column: str


def is_lammps_dump(path: str | os.PathLike) -> bool:
    """Whether ``path`` looks like a LAMMPS text dump: its first line is ``ITEM: TIMESTEP``.

    Examples
    --------
    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "run.xyz")
    >>> _ = open(p, "w").write("ITEM: TIMESTEP\\n0\\n")
    >>> is_lammps_dump(p)
    True
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(64)
    except OSError:
        return False
    return head.lstrip().startswith(b"ITEM: TIMESTEP")


def _has_dump_suffix(path: str | os.PathLike) -> bool:
    return Path(path).suffix.lower() in _SUFFIXES


class _Lines:
    """Line reader that counts lines (1-based) for error messages."""

    def __init__(self, fh, name: str):
        self.fh, self.name, self.lineno = fh, name, 0

    def next(self) -> str:
        line = self.fh.readline()
        if line:
            self.lineno += 1
        return line

    def need(self, what: str) -> str:
        line = self.next()
        if line == "":
            raise ValueError(f"{self.name}:{self.lineno + 1}: file truncated: expected {what}")
        return line

    def error(self, msg: str) -> ValueError:
        return ValueError(f"{self.name}:{self.lineno}: {msg}")


def _int_line(lines: _Lines, what: str) -> int:
    text = lines.need(what).strip()
    try:
        return int(text)
    except ValueError:
        raise lines.error(f"expected {what} (an integer), got {text!r}") from None


def _box_bounds(header: str, lines: _Lines) -> np.ndarray:
    flags = header.split()[3:]  # after "ITEM: BOX BOUNDS"
    if any(f in ("xy", "xz", "yz") for f in flags) or any(f.startswith("abc") for f in flags):
        raise lines.error(
            "triclinic box (BOX BOUNDS xy xz yz): only rectangular (orthogonal) boxes are "
            "supported; write the dump from an orthogonal box"
        )
    if flags:
        if len(flags) < 2:
            raise lines.error(f"malformed boundary flags {' '.join(flags)!r}")
        for axis, flag in zip("xy", flags[:2], strict=True):
            if flag != "pp":
                raise lines.error(
                    f"boundary {flag!r} in {axis} is not periodic: the x and y axes must be "
                    "periodic ('pp'; z is ignored), because the descriptors assume a "
                    "periodic box"
                )
    box = np.empty(2)
    lo = np.empty(2)
    for axis in range(3):
        text = lines.need("box bounds")
        fields = text.split()
        if len(fields) != 2:
            msg = "triclinic box (3 numbers per bound line)" if len(fields) == 3 else (
                f"expected 2 box bounds, got {text.strip()!r}")
            raise lines.error(f"{msg}: only rectangular boxes are supported")
        if axis == 2:
            continue
        try:
            a, b = float(fields[0]), float(fields[1])
        except ValueError:
            raise lines.error(f"box bounds are not numbers: {text.strip()!r}") from None
        if not (np.isfinite(a) and np.isfinite(b) and b > a):
            raise lines.error(f"box bounds must be finite with hi > lo, got {text.strip()!r}")
        lo[axis], box[axis] = a, b - a
    return np.concatenate([lo, box])


def _atoms(header: str, n: int, lo: np.ndarray, box: np.ndarray, lines: _Lines, where: str):
    columns = header.split()[2:]
    if len(set(columns)) != len(columns):
        raise lines.error(f"repeated column names in {header.strip()!r}")
    col = {name: i for i, name in enumerate(columns)}
    pair = next((p for p in _COORDINATES if p[0] in col and p[1] in col), None)
    if pair is None:
        raise lines.error(
            f"no x/y coordinate columns in {header.strip()!r}: dump one pair of "
            "'x y', 'xu yu', 'xs ys' or 'xsu ysu'"
        )
    label_column = "type" if "type" in col else "element" if "element" in col else None
    if label_column is None:
        raise lines.error(
            f"no species column in {header.strip()!r}: dump 'type' or 'element'"
        )
    first = lines.lineno + 1
    block = list(itertools.islice(lines.fh, n))
    lines.lineno += len(block)
    ncols = len(columns)
    text = "".join(block)
    tokens = text.split()
    if len(block) < n or len(tokens) != n * ncols or "ITEM:" in text:
        _locate_bad_atom_line(block, n, columns, first, lines.name, where)

    def numbers(name: str, kind=float) -> np.ndarray:
        raw = tokens[col[name]::ncols]
        try:
            values = np.array(raw, dtype=np.float64)
            if kind is int:
                if not np.all(values == np.rint(values)):
                    raise ValueError
                values = values.astype(np.int64)
        except ValueError:
            bad = next(i for i, v in enumerate(raw) if not _is_number(v, kind))
            raise ValueError(
                f"{lines.name}:{first + bad}: column {name!r} is not a number: {raw[bad]!r}"
            ) from None
        if kind is float and not np.all(np.isfinite(values)):
            bad = int(np.flatnonzero(~np.isfinite(values))[0])
            raise ValueError(f"{lines.name}:{first + bad}: NaN or infinite {name}")
        return values

    pos = np.column_stack([numbers(pair[0]), numbers(pair[1])])
    if pair[0].startswith("xs"):
        pos = pos * box  # scaled to [0, 1) of the box
    else:
        pos = pos - lo
    unwrapped = pair[0].endswith("u")
    if not unwrapped and "ix" in col and "iy" in col:
        pos = pos + np.column_stack([numbers("ix", int), numbers("iy", int)]) * box
        unwrapped = True
    labels = np.array(tokens[col[label_column]::ncols])
    ids = None
    if "id" in col:
        ids = numbers("id", int)
        order = np.argsort(ids, kind="stable")
        ids = ids[order]
        dup = np.flatnonzero(np.diff(ids) == 0)
        if dup.size:
            value = ids[dup[0]]
            raw_ids = np.array(tokens[col["id"]::ncols], dtype=np.float64)
            lines_with = first + np.flatnonzero(raw_ids == value)
            raise ValueError(
                f"{lines.name}:{lines_with[1]}: atom id {value} repeats (also on line "
                f"{lines_with[0]}); ids must be unique within a frame"
            )
        pos, labels = pos[order], labels[order]
    return pos, labels, ids, unwrapped, label_column


def _locate_bad_atom_line(block, n, columns, first, name, where) -> None:
    """Raise the error for the first malformed line of an atom block (the slow path)."""
    for i, text in enumerate(block):
        if text.startswith("ITEM:"):
            raise ValueError(f"{name}:{first + i}: file truncated: {where} announces {n} "
                             f"atoms, got {i}")
        fields = text.split()
        if len(fields) != len(columns):
            raise ValueError(
                f"{name}:{first + i}: expected {len(columns)} columns "
                f"({' '.join(columns)}), got {len(fields)}"
            )
    raise ValueError(f"{name}:{first + len(block)}: file truncated: {where} announces {n} "
                     f"atoms, got {len(block)}")


def _is_number(text: str, kind) -> bool:
    try:
        kind(text)
    except ValueError:
        return False
    return True


def read_dump_frames(path: str | os.PathLike, index: int | slice | None = None) -> list:
    """Parse a LAMMPS text dump into :class:`DumpFrame` objects.

    Parameters
    ----------
    path : path-like
    index : int, slice or None, default None
        Which frames to return (``None``: all), as a list in every case. Every frame is
        parsed (and validated) either way.

    Raises
    ------
    ValueError
        A malformed or truncated file, a non-periodic x or y boundary, a triclinic box,
        missing coordinate or species columns, repeated ids, or a frame index out of
        range; the message names the file and line.

    Examples
    --------
    >>> import os, tempfile
    >>> text = '''ITEM: TIMESTEP
    ... 100
    ... ITEM: NUMBER OF ATOMS
    ... 2
    ... ITEM: BOX BOUNDS pp pp pp
    ... -1.0 1.0
    ... 0.0 3.0
    ... -0.5 0.5
    ... ITEM: ATOMS id type xu yu zu
    ... 2 2 1.5 0.5 0.0
    ... 1 1 -0.5 2.0 0.0
    ... '''
    >>> p = os.path.join(tempfile.mkdtemp(), "run.lammpstrj")
    >>> _ = open(p, "w").write(text)
    >>> (frame,) = read_dump_frames(p)
    >>> frame.timestep, frame.ids.tolist(), frame.labels.tolist()
    (100, [1, 2], ['1', '2'])
    >>> frame.positions.tolist(), frame.box.tolist(), frame.unwrapped
    ([[0.5, 2.0], [2.5, 0.5]], [2.0, 3.0], True)
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    frames: list[DumpFrame] = []
    try:
        with open(path, encoding="utf-8") as fh:
            lines = _Lines(fh, str(path))
            while True:
                line = lines.next()
                if line == "":
                    break
                if line.strip() == "":
                    continue
                if line.strip() != "ITEM: TIMESTEP":
                    raise lines.error(f"expected 'ITEM: TIMESTEP', got {line.strip()!r}")
                where = f"{path}:{lines.lineno} (frame {len(frames)})"
                timestep = _int_line(lines, "the timestep")
                n = bounds = None
                while True:
                    header = lines.need("an ITEM: line").strip()
                    if header.startswith("ITEM: TIME") or header.startswith("ITEM: UNITS"):
                        lines.need("a value")
                    elif header == "ITEM: NUMBER OF ATOMS":
                        n = _int_line(lines, "the number of atoms")
                        if n < 1:
                            raise lines.error("the number of atoms must be positive")
                    elif header.startswith("ITEM: BOX BOUNDS"):
                        bounds = _box_bounds(header, lines)
                    elif header.startswith("ITEM: ATOMS"):
                        if n is None or bounds is None:
                            raise lines.error(
                                "ITEM: ATOMS before NUMBER OF ATOMS and BOX BOUNDS"
                            )
                        pos, labels, ids, unwrapped, label_col = _atoms(
                            header, n, bounds[:2], bounds[2:], lines, where
                        )
                        frames.append(DumpFrame(timestep, pos, labels, ids, bounds[2:].copy(),
                                                unwrapped, where, label_col))
                        break
                    else:
                        raise lines.error(f"unexpected line {header!r} in a dump frame")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not a text (LAMMPS dump) file ({err.reason})") from None
    if not frames:
        raise ValueError(f"{path}: empty file, no frames")
    if isinstance(index, int | np.integer):
        if not -len(frames) <= index < len(frames):
            raise ValueError(f"{path}: frame {index} out of range ({len(frames)} frames)")
        return [frames[index]]
    return frames[index if index is not None else slice(None)]
