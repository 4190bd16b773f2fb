"""``python -m sessions_plus``: the ``sessions-plus`` command line."""

from .cli import main

raise SystemExit(main())
