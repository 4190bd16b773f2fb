"""Shared fixtures: ``store_factory`` / ``store`` run every test over every backend."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

pytest.register_assert_rewrite("tests.fixtures")

from sessions_plus import ConversationStore  # noqa: E402
from tests.fixtures import stores as _stores  # noqa: E402
from tests.fixtures.factory import StoreFactory  # noqa: E402

_MODULES = [
    f"tests.fixtures.stores.{info.name}"
    for info in pkgutil.iter_modules(_stores.__path__)
    if not info.name.startswith("_")
]
pytest_plugins = [*_MODULES, "pytester"]

ALL_BACKENDS: dict[str, str] = {}
PROCESS_LOCAL: set[str] = set()
"""Backends whose data lives in one process: no other process can open them."""
SUITES: dict[str, tuple[str, ...]] = {}
"""Backends that run only in some suites (folders of tests/), e.g. a fast extra backend that
only has to prove the contract; every other backend runs everywhere."""
for _name in _MODULES:
    _module = importlib.import_module(_name)
    ALL_BACKENDS.update(_module.BACKENDS)
    PROCESS_LOCAL.update(getattr(_module, "PROCESS_LOCAL", ()))
    SUITES.update(getattr(_module, "SUITES", {}))

TESTS = Path(__file__).resolve().parent

CROSS_PROCESS = sorted(set(ALL_BACKENDS) - PROCESS_LOCAL)


@pytest.fixture(params=sorted(ALL_BACKENDS))
def store_factory(request: pytest.FixtureRequest) -> StoreFactory:
    """A StoreFactory for each backend in turn."""
    factory: StoreFactory = request.getfixturevalue(ALL_BACKENDS[request.param])
    return factory


@pytest.fixture
async def store(store_factory: StoreFactory) -> AsyncIterator[ConversationStore]:
    """A fresh store (no TTL) for each backend in turn."""
    yield store_factory()


@pytest.fixture(params=CROSS_PROCESS)
def cross_process_factory(request: pytest.FixtureRequest) -> StoreFactory:
    """A StoreFactory for each backend that other processes can open (by URL), in turn."""
    factory: StoreFactory = request.getfixturevalue(ALL_BACKENDS[request.param])
    assert factory.cross_process, f"{factory.name} has no URL: declare it in PROCESS_LOCAL"
    return factory


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the runs of a suite-limited backend (``SUITES``) outside its suites."""
    keep: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = None if callspec is None else callspec.params.get("store_factory")
        suites = SUITES.get(backend) if isinstance(backend, str) else None
        inside = Path(item.path).resolve().is_relative_to(TESTS)
        suite = Path(item.path).resolve().relative_to(TESTS).parts[0] if inside else None
        (dropped if suites is not None and suite not in suites else keep).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
