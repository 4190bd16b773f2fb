"""What every server launcher here shares: ``start()``, ``close()``, and ``with`` doing both."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class Launcher(ABC):
    """A server (or a set of servers) on loopback: ``start()`` runs it and returns it,
    ``close()`` stops it and removes its files; ``with Launcher() as server`` does both."""

    @abstractmethod
    def start(self) -> Self: ...

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
