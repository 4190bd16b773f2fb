"""Import Strands ``FileSessionManager`` directories (layout: :mod:`.strands_layout`)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from .base import ImportSource, ImportSourceError, SourceSession
from .strands_layout import SESSION_PREFIX, StrandsFiles


class StrandsFileSource(ImportSource):
    """Every ``session_<id>`` folder under ``storage_dir`` (read, never written)."""

    kind = "strands-file"

    def __init__(self, storage_dir: str | Path) -> None:
        self.root = Path(storage_dir)
        if not self.root.is_dir():
            raise ImportSourceError(f"no directory at {self.root}")

    async def session_ids(self) -> AsyncIterator[str]:
        for session_id in await asyncio.to_thread(self._ids):
            yield session_id

    def _ids(self) -> list[str]:
        return sorted(
            entry.name[len(SESSION_PREFIX) :]
            for entry in self.root.iterdir()
            if entry.is_dir() and entry.name.startswith(SESSION_PREFIX)
        )

    async def read(self, session_id: str) -> SourceSession | None:
        return await asyncio.to_thread(self._read, session_id)

    def _read(self, session_id: str) -> SourceSession | None:
        folder = self.root / f"{SESSION_PREFIX}{session_id}"
        if not folder.is_dir():
            return None
        files = StrandsFiles(session_id)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            relative = path.relative_to(folder).as_posix()
            files.add(relative, lambda path=path: _load(path))
        return files.to_session()


def _load(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as file:
            return json.load(file)
    except ValueError as exc:
        raise ImportSourceError(f"{path} is not JSON: {exc}") from None
