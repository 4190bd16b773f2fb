"""The least-privilege ACL user of ``acl.conf``, for a given key prefix and password.

``acl.conf`` documents the user in ACL file syntax for the default key prefix; this module
reads that very file and turns its rules into ``ACL SETUSER`` arguments for another prefix (the
tests create one such user per test namespace)::

    python -m integrations.redis.acl --prefix chat --user chat-app --password s3cret
    # prints: ACL SETUSER chat-app on >s3cret resetchannels ~chat:* -@all +evalsha ...
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ACL_FILE = Path(__file__).with_name("acl.conf")
DEFAULT_PREFIX = "sessions_plus"
PLACEHOLDER = "CHANGE-ME"
"""The password placeholder of acl.conf (never a real password)."""


def glob_escape(text: str) -> str:
    """``text`` as a literal inside an ACL key pattern (a glob)."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def acl_rules(key_prefix: str = DEFAULT_PREFIX, password: str = PLACEHOLDER) -> list[str]:
    """The rules of the ``user`` line of acl.conf, for ``key_prefix`` and ``password``."""
    for line in ACL_FILE.read_text().splitlines():
        if line.startswith("user "):
            rules = line.split()[2:]
            break
    else:  # pragma: no cover - the file always has its user line
        raise ValueError(f"{ACL_FILE} has no user line")
    out: list[str] = []
    for rule in rules:
        if rule == f"~{DEFAULT_PREFIX}:*":
            rule = f"~{glob_escape(key_prefix)}:*"
        elif rule.startswith(">"):
            rule = ">" + password
        out.append(rule)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m integrations.redis.acl", description=__doc__)
    parser.add_argument("--prefix", default=DEFAULT_PREFIX)
    parser.add_argument("--user", default="sessions-plus")
    parser.add_argument("--password", default=PLACEHOLDER)
    args = parser.parse_args(argv)
    print(" ".join(["ACL", "SETUSER", args.user, *acl_rules(args.prefix, args.password)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
