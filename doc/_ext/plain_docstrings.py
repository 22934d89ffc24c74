"""Let plain-text notation in docstrings through reStructuredText unharmed.

Scientific docstrings here write absolute values as ``|r|`` and ``|coef|``, which
reStructuredText would read as substitution references (an error), and fitted attributes
such as ``n_features_in_`` in plain text, which it would read as links. After numpydoc has
turned a docstring into reST, this escapes every ``|`` that is outside inline literals,
literal blocks, doctests and tables, so ``|r|`` renders as written.
"""

import re

# Inline spans that must stay untouched: ``literal``, `role text`, :role:`text`.
_TRAILING_UNDERSCORE = re.compile(r"\b([A-Za-z]\w*?)_(?=[\s,.;:)\]*]|$)")
_SPAN = re.compile(r"(``.+?``|:[\w:+-]+:`[^`]*`|`[^`]*`_{0,2})")


def _escape_line(line: str) -> str:
    parts = _SPAN.split(line)
    for i in range(0, len(parts), 2):  # even indices are outside spans
        parts[i] = re.sub(r"(?<!\\)\|", r"\\|", parts[i])
        # "n_features_in_" in prose or a type would be a reference to a target.
        parts[i] = _TRAILING_UNDERSCORE.sub(r"\1\\_", parts[i])
    return "".join(parts)


def escape_pipes(lines: list[str]) -> None:
    literal_indent = None  # indent of the paragraph that opened a literal block
    in_doctest = False
    for n, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if stripped and indent <= literal_indent:
                literal_indent = None
            else:
                continue
        if in_doctest:
            if not stripped:
                in_doctest = False
            continue
        if stripped.startswith(">>>"):
            in_doctest = True
            continue
        if stripped.endswith("::") and not stripped.startswith(".."):
            literal_indent = indent
        elif stripped.startswith(".. code-block::") or stripped.startswith(".. math::"):
            literal_indent = indent
            continue
        if stripped.startswith(("| ", "+-", "+=")) or stripped == "|":
            continue  # grid tables and line blocks use the bars themselves
        lines[n] = _escape_line(line)


def _process(app, what, name, obj, options, lines):
    escape_pipes(lines)


def setup(app):
    # numpydoc converts at the default priority 500; run after it.
    app.connect("autodoc-process-docstring", _process, priority=800)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
