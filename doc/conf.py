"""Sphinx configuration of the skii documentation.

Everything is built offline and the site works offline: no intersphinx, no remote images
or scripts; the pydata theme's assets are packaged with it and formulas are rendered to
SVG at build time by matplotlib's mathtext (``_ext/mpl_math.py``), not by MathJax.
"""

import os
import sys
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# Import the package from this checkout (also when it is not installed in editable mode).
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE / "_ext"))

os.environ.setdefault("MPLBACKEND", "Agg")
# Figures and gallery examples may compile numba kernels: keep the cache out of the tree.
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".numba_cache"))

import skii  # noqa: E402

project = "skii"
author = "skii developers"
copyright = "2026, skii developers"  # noqa: A001
version = release = skii.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "cli_help",
    "plain_docstrings",
    "mpl_math",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb",
                    "auto_examples/*.py", "auto_examples/*.zip"]
source_suffix = {".rst": "restructuredtext"}
root_doc = "index"
default_role = "literal"
nitpicky = False

# -- autodoc / autosummary / numpydoc -----------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc sections already give the types
autoclass_content = "class"
numpydoc_show_class_members = False  # attribute and method tables come from the template
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks: set[str] = set()

# -- matplotlib plot directive (figures of the user guide, made at build time) ------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.autolayout": True, "font.size": 10}
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\n"
plot_working_directory = str(HERE)

# -- sphinx-gallery ------------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": str(HERE / "auto_examples"),
    "filename_pattern": r"\.py$",  # run every example, whatever its name
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,  # a failing example fails the build
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "reference_url": {"skii": None},
    "doc_module": ("skii", "skii_glass"),
    "backreferences_dir": str(HERE / "generated" / "backreferences"),
    "matplotlib_animations": False,
    "plot_gallery": "True",
    "show_memory": False,
    "min_reported_time": 1,
    # The timing pages load jQuery and DataTables from CDNs: keep the site offline.
    "write_computation_times": False,
}

# -- HTML -----------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skii {release}"
html_static_path = ["_static"]
html_css_files = ["skii.css"]
html_math_renderer = "mpl_math"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 6,
    "icon_links": [],
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "install": [], "changelog": []}
html_show_sourcelink = False
html_last_updated_fmt = None

warnings.filterwarnings("ignore", category=UserWarning, message="Matplotlib is currently using agg")

# -- generated pages -----------------------------------------------------------------
from api_pages import write_api  # noqa: E402

write_api(HERE / "api.rst")
