"""``.. cli-help:: [SUBCOMMAND]``: the ``skii-glass`` help text, generated at build time.

The CLI page therefore never drifts from the parser: the text is what ``skii-glass
SUBCOMMAND --help`` prints.
"""

import argparse
import os

from docutils import nodes
from docutils.parsers.rst import Directive


def _help_text(sub: str | None) -> str:
    from skii_glass.cli import build_parser

    parser = build_parser()
    if sub is None:
        return parser.format_help()
    for action in parser._actions:  # argparse has no public accessor for subparsers
        if isinstance(action, argparse._SubParsersAction):
            if sub not in action.choices:
                raise ValueError(f"unknown skii-glass subcommand {sub!r}")
            return action.choices[sub].format_help()
    raise ValueError("skii-glass has no subcommands")


class CliHelp(Directive):
    optional_arguments = 1
    has_content = False

    def run(self):
        os.environ["COLUMNS"] = "92"  # argparse wraps at the terminal width
        sub = self.arguments[0] if self.arguments else None
        text = _help_text(sub)
        node = nodes.literal_block(text, text)
        node["language"] = "text"
        return [node]


def setup(app):
    app.add_directive("cli-help", CliHelp)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
