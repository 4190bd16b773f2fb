"""Documents: put, get, delete, list, if_absent; a document-only session is a session.

Run over every backend (tests/fixtures/stores/) through the public API only: a new backend
joins by adding one fixture plugin and must pass this suite unchanged.
"""

from __future__ import annotations

import pytest

from sessions_plus import (
    ConversationStore,
)
from tests.contract.helpers import (
    S,
    listed_ids,
)

# ---------------------------------------------------------------------------- documents


async def test_documents(store: ConversationStore) -> None:
    assert await store.get_doc(S, "agent:a") is None
    assert await store.put_doc(S, "agent:a", {"state": [1, 2]}) is True
    assert await store.put_doc(S, "agent:b", "b") is True
    assert await store.put_doc(S, "session", {"id": S}) is True
    assert await store.put_doc(S, "agent", 0) is True
    assert await store.get_doc(S, "agent:a") == {"state": [1, 2]}
    assert await store.put_doc(S, "agent:a", {"state": [3]}) is True  # overwrite, whole
    assert await store.get_doc(S, "agent:a") == {"state": [3]}
    assert await store.put_doc(S, "agent:a", "nope", if_absent=True) is False
    assert await store.get_doc(S, "agent:a") == {"state": [3]}
    assert await store.put_doc(S, "agent:c", [], if_absent=True) is True
    assert await store.get_doc(S, "agent:c") == []

    assert await store.list_docs(S) == ["agent", "agent:a", "agent:b", "agent:c", "session"]
    assert await store.list_docs(S, prefix="agent:") == ["agent:a", "agent:b", "agent:c"]
    assert await store.list_docs(S, prefix="agent:b") == ["agent:b"]
    assert await store.list_docs(S, prefix="zzz") == []
    with pytest.raises(TypeError):
        await store.list_docs(S, prefix=None)  # type: ignore[arg-type]

    assert await store.delete_doc(S, "agent:b") is True
    assert await store.delete_doc(S, "agent:b") is False
    assert await store.get_doc(S, "agent:b") is None
    assert await store.put_doc(S, "agent:b", "again", if_absent=True) is True
    assert await store.get_doc(S, "agent:b") == "again"

    info = await store.info(S)
    assert info is not None
    assert info.item_count == 0 and dict(info.streams) == {}, "documents are not records"
    assert await store.read(S) == []


async def test_document_only_session_is_a_session(store: ConversationStore) -> None:
    await store.put_doc(S, "d", None)
    assert await store.list_docs(S) == ["d"]
    assert await store.get_doc(S, "d") is None
    assert await store.info(S) is not None
    assert await listed_ids(store) == [S]
    assert await store.delete_doc(S, "d") is True
    assert await store.info(S) is not None, "a session stays until deleted or expired"


async def test_put_doc_if_exists_never_recreates(store: ConversationStore) -> None:
    assert await store.put_doc(S, "agent", {"v": 1}, if_exists=True) is False
    assert await store.info(S) is None  # nothing was created
    assert await store.put_doc(S, "agent", {"v": 1}) is True
    assert await store.put_doc(S, "agent", {"v": 2}, if_exists=True) is True
    assert await store.get_doc(S, "agent") == {"v": 2}
    assert await store.delete_doc(S, "agent") is True
    assert await store.put_doc(S, "agent", {"v": 3}, if_exists=True) is False
    assert await store.get_doc(S, "agent") is None
    with pytest.raises(ValueError, match="exclude each other"):
        await store.put_doc(S, "agent", 1, if_absent=True, if_exists=True)
