"""Run by an installed wheel's interpreter: import every public module, report as JSON.

``python check_install.py`` prints ``{"module": "ok" | "missing:<extra>" | "error:<text>"}`` for
every module of the installed ``sessions_plus`` whose name has no part starting with ``_``.
It must not import this checkout: it is run from a directory outside the repository.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import sys

import sessions_plus
from sessions_plus import MissingDependencyError

EXTRA = re.compile(r"sessions-plus\[([\w-]+)\]")


def public_modules() -> list[str]:
    names = ["sessions_plus"]
    for info in pkgutil.walk_packages(sessions_plus.__path__, "sessions_plus."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


def outcome(name: str) -> str:
    try:
        importlib.import_module(name)
    except MissingDependencyError as exc:
        found = EXTRA.search(str(exc))
        return f"missing:{found.group(1) if found else '?'}"
    except Exception as exc:  # reported, judged by the test
        return f"error:{type(exc).__name__}: {exc}"
    return "ok"


if __name__ == "__main__":
    assert "site-packages" in (sessions_plus.__file__ or ""), sessions_plus.__file__
    results = {name: outcome(name) for name in public_modules()}
    json.dump({"python": sys.version.split()[0], "modules": results}, sys.stdout)
