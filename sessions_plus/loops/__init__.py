"""Event loops and async clients: per-loop resources and a background loop thread.

Async clients (redis-py, aiobotocore) belong to the loop that made them, while the SDKs call
sessions from several loops and from synchronous code. :class:`PerLoop` keeps one resource per
loop; :class:`BackgroundLoop` runs coroutines on one dedicated loop thread for synchronous
callers (the Strands adapter, sync wrappers); :class:`ConnectionGate` makes bursts of calls on
one loop wait for a pooled connection (bounded) instead of failing.
"""

from .background import DEFAULT_TIMEOUT, BackgroundLoop
from .gate import ConnectionGate, check_pool_options
from .per_loop import PerLoop

__all__ = ["DEFAULT_TIMEOUT", "BackgroundLoop", "ConnectionGate", "PerLoop", "check_pool_options"]
