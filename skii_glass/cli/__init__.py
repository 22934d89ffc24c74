"""The ``skii-glass`` command line.

Each subcommand lives in its own module with ``add_parser(subparsers)`` (which registers
it and sets ``func``); this module only dispatches.
"""

from __future__ import annotations

import argparse
import sys

# Module names under skii_glass.cli.
_SUBCOMMANDS: list[str] = [
    "_simulate",
    "_propensity",
    "_propensity_from_trajectories",
    "_describe",
    "_reproduce",
    "_make_dataset",
    "_study",
]


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(
        prog="skii-glass",
        description=(
            "Monte Carlo of 2D Lennard-Jones glass-formers, iso-configurational "
            "propensity, structural descriptors and the information-imbalance study of "
            "Sharma, Liu & Ozawa, J. Chem. Phys. 161 (2024)."
        ),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, FileNotFoundError, ImportError) as err:
        # Bad input, a missing file or a missing optional extra: one line, no traceback.
        print(f"skii-glass {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"skii-glass {args.command}: interrupted; run the same command again to resume "
            "from the last checkpoint",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
