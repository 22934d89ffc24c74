"""Options shared by the subcommands that read user files (not a subcommand itself)."""

from __future__ import annotations

import argparse

MAP_HELP = (
    "species of the file's labels, e.g. 1=A,2=B,3=C (LAMMPS types) or H=A,He=B,Li=C (a "
    "file ase wrote from ours); default: the model's species names as they are, and "
    "numeric types 1, 2, ... in the model's order"
)


def parse_species_map(text: str) -> dict[str, str]:
    """``"1=A,2=B"`` -> ``{"1": "A", "2": "B"}`` (an argparse ``type``).

    Examples
    --------
    >>> parse_species_map("1=A, 2=B,3=C")
    {'1': 'A', '2': 'B', '3': 'C'}
    >>> parse_species_map("H=A,H=B")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: label 'H' is mapped twice in 'H=A,H=B'
    """
    mapping: dict[str, str] = {}
    for item in text.split(","):
        label, sep, name = (part.strip() for part in item.partition("="))
        if not sep or not label or not name:
            raise argparse.ArgumentTypeError(
                f"expected LABEL=species[,LABEL=species...], e.g. 1=A,2=B, got {text!r}"
            )
        if label in mapping:
            raise argparse.ArgumentTypeError(f"label {label!r} is mapped twice in {text!r}")
        mapping[label] = name
    return mapping


def add_species_map(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--species-map", type=parse_species_map, default=None,
                        metavar="LABEL=species,...", help=MAP_HELP)
