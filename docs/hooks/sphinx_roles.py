"""Griffe extension for the docs build: Sphinx roles in docstrings become Markdown code.

The docstrings (the store contract's specification) use Sphinx roles such as
``:class:`~sessions_plus.MemoryStore``` and reST literal-block markers (``::``); mkdocstrings
renders Markdown, so this turns each role into inline code (``MemoryStore``: the last dotted part
with ``~``, the whole target without) and ``text::`` before an indented block into ``text:``.
"""

from __future__ import annotations

import re
from typing import Any

from griffe import Extension, Object

_ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")
_LITERAL = re.compile(r"::$", re.M)


def _role(match: re.Match[str]) -> str:
    target = match.group(2).strip()
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


def convert(text: str) -> str:
    """Docstring text with Sphinx roles and literal markers turned into Markdown."""
    return _LITERAL.sub(":", _ROLE.sub(_role, text))


class SphinxRoles(Extension):
    """Rewrite every docstring once, as griffe loads the object."""

    def on_instance(self, *, obj: Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value)
