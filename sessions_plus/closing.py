"""``with obj:`` for objects closed by a synchronous ``close()``: written once, not per class."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class SyncClosing(ABC):
    """Gives a class ``with obj: ...``, which calls its ``close()`` on the way out."""

    @abstractmethod
    def close(self) -> None:
        """Release what the object holds. Idempotent."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
