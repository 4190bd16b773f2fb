"""Statements: query plans and costs (VM instructions, not time) of the hot paths."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sessions_plus.backends.sqlite import SQLiteStore
from sessions_plus.backends.sqlite.statements import prefix_end
from tests.backends.sqlite.helpers import plan, raw, steps


async def test_latest_n_reads_go_through_the_index_and_cost_o_limit(db: Path) -> None:
    async with SQLiteStore(db) as store:
        await store.append("small", [{"i": i} for i in range(10)])
        await store.append("large", [{"i": i} for i in range(10_000)])
        await store.append("large", ["x"], stream="other")
        sql = store._sql
    conn = raw(db)
    now = time.time()
    for statement in (sql.read_desc, sql.read_asc):
        found = plan(conn, statement, ("large", now, "main", 0, 2**63 - 1, 5))
        assert (
            "USING INDEX sessions_plus_records_by_key (sid=? AND stream=? AND seq>? AND seq<?)"
            in found
        ), found
        assert "SCAN" not in found and "TEMP B-TREE" not in found, found
    for statement in (sql.info, sql.get_doc, *sql.list_sessions.values(), sql.doc_names):
        params = (*("x",) * (statement.count("?") - 1), 5)
        found = plan(conn, statement, params)
        assert "SCAN" not in found and "TEMP B-TREE" not in found, (statement, found)
    purge = plan(conn, sql.expired_batch, (now, 100))
    assert "sessions_by_expiry" in purge, purge

    latest = [
        steps(conn, sql.read_desc, (s, now, "main", 0, 2**63 - 1, 5)) for s in ("small", "large")
    ]
    assert latest[0] == latest[1], latest  # the same work on 10 and 10,000 records
    page = [
        steps(conn, sql.read_asc, (s, now, "main", 3, 2**63 - 1, 5)) for s in ("small", "large")
    ]
    assert page[0] == page[1], page
    conn.close()


@pytest.mark.parametrize(
    ("prefix", "end"),
    [
        ("", None),
        ("a", "b"),
        ("user:1:", "user:1;"),
        ("a\U0010ffff", "b"),
        ("\U0010ffff\U0010ffff", None),
        ("x\ud7ff", "x\ue000"),  # no surrogate is text: the next code point is U+E000
        ("é", "ê"),
    ],
)
def test_prefix_end_bounds_exactly_the_ids_with_the_prefix(prefix: str, end: str | None) -> None:
    assert prefix_end(prefix) == end
    ids = [prefix, prefix + "\x00", prefix + "zz", prefix + "\U0010ffff" * 3]
    for sid in ids:
        assert sid >= prefix and (end is None or sid < end)
    if end is not None:
        assert not end.startswith(prefix) and end > prefix


def _seed(db: Path, others: int) -> None:
    """Sessions p:0..p:9 among ``others`` sessions sorted before and after them."""
    conn = raw(db)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO sessions_plus_sessions (session_id, created_at, updated_at, streams)"
        " VALUES (?, 1, 1, '{}')",
        [(f"p:{n}",) for n in range(10)]
        + [(f"{side}{n:06d}",) for side in ("a", "z") for n in range(others // 2)],
    )
    conn.execute("COMMIT")
    conn.close()


async def test_a_prefix_page_is_one_index_range_whatever_else_the_file_holds(
    tmp_path: Path,
) -> None:
    costs = []
    for others in (10, 20_000):
        db = tmp_path / f"{others}.db"
        async with SQLiteStore(db) as store:
            await store.info("x")  # the schema exists
            sql = store._sql
        _seed(db, others)
        conn = raw(db)
        statement = sql.list_sessions[(False, True)]
        params = ("p:", "p;", time.time(), 6)
        found = plan(conn, statement, params)
        assert "USING INDEX" in found and "(session_id>? AND session_id<?)" in found, found
        assert "SCAN" not in found and "TEMP B-TREE" not in found, found
        costs.append(steps(conn, statement, params))
        after = sql.list_sessions[(True, True)]
        assert "(session_id>? AND session_id<?)" in plan(conn, after, ("p:4", "p;", 0.0, 6))
        conn.close()
        async with SQLiteStore(db) as store:
            page = await store.list_sessions(prefix="p:", limit=5)
            assert [i.session_id for i in page.sessions] == [f"p:{n}" for n in range(5)]
            rest = await store.list_sessions(prefix="p:", limit=5, cursor=page.next_cursor)
            assert [i.session_id for i in rest.sessions] == [f"p:{n}" for n in range(5, 10)]
            assert rest.next_cursor is None
    assert costs[0] == costs[1], costs  # the same work among 10 or 20,000 other sessions
