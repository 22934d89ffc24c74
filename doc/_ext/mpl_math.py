"""Render math at build time with matplotlib's mathtext, so the site needs no network.

MathJax would be fetched from a CDN by the reader's browser; here every ``:math:`` role
and ``.. math::`` directive becomes an SVG image written into the build, scaled in ``em``
so that it follows the text size, and aligned on the text baseline. mathtext covers the
TeX subset these pages use; an unsupported command fails the build with the formula named.
"""

import hashlib
import re
from pathlib import Path

from docutils import nodes
from sphinx.errors import ExtensionError
from sphinx.util.osutil import ensuredir

_FONTSIZE = 12.0  # points; images are sized in em relative to this
_RCPARAMS = {"mathtext.fontset": "dejavusans", "svg.fonttype": "path"}


def _render(self, latex: str, display: bool) -> str:
    """Write the SVG for ``latex`` (once) and return the HTML ``<img>`` for it."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import mathtext, rc_context
    from matplotlib.font_manager import FontProperties

    latex = " ".join(latex.split())  # mathtext has no line breaks
    if display:  # display-style fractions, as TeX sets them in displayed equations
        latex = re.sub(r"\\frac(?=[{\s])", r"\\dfrac", latex)
    size = _FONTSIZE * (1.2 if display else 1.0)
    key = hashlib.sha1(f"{latex}|{size}".encode()).hexdigest()[:16]
    name = f"math-{key}.svg"
    outdir = Path(self.builder.outdir) / self.builder.imagedir / "math"
    path = outdir / name
    prop = FontProperties(size=size)
    with rc_context(_RCPARAMS):
        try:
            width, height, depth, _, _ = mathtext.MathTextParser("path").parse(
                f"${latex}$", dpi=72, prop=prop
            )
            if not path.exists():
                ensuredir(str(outdir))
                mathtext.math_to_image(f"${latex}$", str(path), prop=prop, dpi=72,
                                       format="svg")
        except ValueError as err:
            raise ExtensionError(f"matplotlib mathtext cannot render {latex!r}: {err}") from err
    uri = f"{self.builder.imgpath}/math/{name}"
    h_em, d_em = height / _FONTSIZE, depth / _FONTSIZE
    alt = self.encode(latex)
    if display:
        return (f'<div class="math-display"><img src="{uri}" alt="{alt}" '
                f'style="height: {h_em:.3f}em"/></div>')
    return (f'<img class="math-inline" src="{uri}" alt="{alt}" '
            f'style="height: {h_em:.3f}em; vertical-align: -{d_em:.3f}em"/>')


def visit_math(self, node):
    self.body.append(_render(self, node.astext(), display=False))
    raise nodes.SkipNode


def visit_displaymath(self, node):
    if node.get("label"):
        self.body.append(f'<span id="{node["ids"][0]}"></span>')
    for part in node.astext().split("\n\n"):  # several equations in one directive
        if part.strip():
            self.body.append(_render(self, part, display=True))
    raise nodes.SkipNode


def setup(app):
    app.add_html_math_renderer("mpl_math", (visit_math, None), (visit_displaymath, None))
    return {"parallel_read_safe": True, "parallel_write_safe": True}
