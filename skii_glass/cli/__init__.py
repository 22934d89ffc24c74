"""The ``skii-glass`` command line.

Each subcommand lives in its own module with ``add_parser(subparsers)`` (which registers
it and sets ``func``); this module only dispatches.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import sys
from pathlib import Path

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


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Show ``(default: ...)`` only where the help text does not already say it, and never
    for required options, flags or options without a default."""

    def _get_help_string(self, action):
        text = action.help or ""
        if (
            "default" in text
            or action.required
            or action.default in (None, False, argparse.SUPPRESS)
        ):
            return text
        return super()._get_help_string(action)


def check_preset_arg(name: str | None, option: str = "--preset") -> None:
    """Reject an unknown model name the command-line way, before any file is read."""
    if name is None:
        return
    from ..models import PRESETS

    if name not in PRESETS:
        raise ValueError(
            f"{option} {name}: unknown model; choose one of: {', '.join(sorted(PRESETS))}"
        )


@contextlib.contextmanager
def output_dir(path):
    """Create the output folder ``path``; if it did not exist and the command fails before
    writing anything but ``seed.txt``, remove it again, so that a mistyped command leaves
    no folder behind (a rerun would otherwise resume from the stale seed)."""
    path = Path(path)
    existed = path.exists()
    path.mkdir(parents=True, exist_ok=True)
    try:
        yield path
    except (ValueError, FileNotFoundError):
        if not existed and all(
            f.name == "seed.txt" or (f.is_dir() and not any(f.iterdir()))
            for f in path.iterdir()
        ):
            shutil.rmtree(path, ignore_errors=True)
        raise


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
        # A newline first: a progress bar may hold the end of the current line.
        print(
            f"\nskii-glass {args.command}: interrupted; run the same command again to resume "
            "from the last checkpoint",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
