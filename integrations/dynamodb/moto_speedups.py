"""Make moto's TransactWriteItems and Query cost O(items touched) instead of O(table).

moto 5 deep-copies every table a transaction names before running it, to roll back if it is
cancelled, and a Query sorts every item of the table to find its partition (on a global
secondary index too): with a few hundred items both take tens of milliseconds, and the
DynamoDB tests make thousands of requests; with 100,000 sessions an index Query takes seconds,
where DynamoDB reads one page. These patches snapshot only the items a transaction names
(restoring exactly those on failure: the same outcome, since the server applies one request at
a time, see server.py), let a base-table Query look at its own partition only, and let an
index Query start from a sorted copy of the index (rebuilt after any write) at its start key
and hand moto only the items that can be on the page. moto still evaluates every query itself;
nothing else in moto changes.
"""

from __future__ import annotations

import copy
import threading
import types
from typing import Any

_INSTALLED = False


def install() -> None:
    """Patch moto's DynamoDB backend in this process (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from moto.dynamodb import models
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType
    from moto.dynamodb.models.table import Table

    def deepcopy(value: Any, memo: Any = None) -> Any:
        if isinstance(value, Table):  # the whole-table snapshot: replaced by item snapshots
            return value
        return copy.deepcopy(value, memo)

    shim = types.ModuleType("copy")
    shim.deepcopy = deepcopy  # type: ignore[attr-defined]
    shim.copy = copy.copy  # type: ignore[attr-defined]
    models.copy = shim  # type: ignore[attr-defined]

    original = DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, Any]] = []
        for entry in transact_items:
            op = next(iter(entry.values()), {})
            table = self.tables.get(op.get("TableName"))
            key = op.get("Key") or op.get("Item")
            if table is None or not isinstance(key, dict) or table.hash_key_attr not in key:
                continue
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = None
            if table.range_key_attr is not None and table.range_key_attr in key:
                range_value = DynamoType(key[table.range_key_attr])
            old = (
                table.get_item(hash_value, range_value)
                if range_value or not table.range_key_attr
                else None
            )
            saved.append((table, hash_value, range_value, copy.deepcopy(old)))
        try:
            original(self, transact_items)
        except BaseException:
            for table, hash_value, range_value, old in reversed(saved):
                if range_value is None:
                    if old is None:
                        table.items.pop(hash_value, None)
                    else:
                        table.items[hash_value] = old
                elif old is None:
                    table.items[hash_value].pop(range_value, None)
                else:
                    table.items[hash_value][range_value] = old
            raise

    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]

    original_query = Table.query
    original_all_items = Table.all_items
    partition_only = threading.local()

    def all_items(self: Any) -> list[Any]:
        page = getattr(partition_only, "index_items", None)
        if page is not None:
            return list(page)
        hash_key = getattr(partition_only, "hash_key", None)
        if hash_key is None or self.range_key_attr is None:
            return list(original_all_items(self))
        return list(self.items[hash_key].values()) if hash_key in self.items else []

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name:  # secondary indexes: unchanged
            return original_query(self, hash_key, *args, **kwargs)
        partition_only.hash_key = hash_key
        try:
            return original_query(self, hash_key, *args, **kwargs)
        finally:
            partition_only.hash_key = None

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = _index_query(query, original_query, partition_only)  # type: ignore[method-assign]
    _count_writes(DynamoDBBackend, Table)
    _INSTALLED = True


_WRITES = [0]
"""Writes served so far: an index copy older than this is rebuilt."""


def _count_writes(backend: Any, table: Any) -> None:
    for owner, name in (
        (table, "put_item"),
        (table, "delete_item"),
        (backend, "update_item"),
        (backend, "delete_item"),
        (backend, "transact_write_items"),
        (backend, "update_table"),
    ):
        original = getattr(owner, name)

        def counted(*args: Any, __original: Any = original, **kwargs: Any) -> Any:
            _WRITES[0] += 1
            try:
                return __original(*args, **kwargs)
            finally:
                _WRITES[0] += 1

        setattr(owner, name, counted)


_BOUNDED = {"EQ", "LE", "LT", "BEGINS_WITH", "BETWEEN"}
"""Range conditions after whose last match no later item of the index can match."""


def _index_query(query: Any, original: Any, local: threading.local) -> Any:
    """Wrap ``Table.query``: an index Query sees only the candidates of its page."""
    import bisect
    import inspect

    from moto.dynamodb.models.dynamo_type import DynamoType

    signature = inspect.signature(original)
    copies: dict[tuple[int, str], tuple[int, dict[Any, tuple[list[Any], list[Any]]]]] = {}

    def sorted_index(table: Any, index: Any, hash_attr: str, range_attr: str) -> Any:
        key = (id(table), index.name)
        cached = copies.get(key)
        if cached is not None and cached[0] == _WRITES[0]:
            return cached[1]
        groups: dict[Any, list[Any]] = {}
        for item in table.all_items():
            if hash_attr in item.attrs and range_attr in item.attrs:
                groups.setdefault(item.attrs[hash_attr], []).append(item)
        built = {}
        for value, items in groups.items():
            items.sort(key=lambda i: (i.attrs[range_attr], i.hash_key, i.range_key))
            built[value] = (items, [(i.attrs[range_attr], i.hash_key, i.range_key) for i in items])
        copies[key] = (_WRITES[0], built)
        return built

    def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(self, *args, **kwargs)
        arguments = bound.arguments
        index_name = arguments.get("index_name")
        conditions = arguments.get("hash_key_conditions") or []
        if (
            not index_name
            or arguments.get("scan_index_forward") is False
            or len(conditions) != 1
            or len(arguments.get("range_key_conditions") or []) > 1
            or self.range_key_attr is None
        ):
            return query(self, *args, **kwargs)
        index = self.get_index(index_name)
        hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
        ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
        if len(hashes) != 1 or len(ranges) != 1 or conditions[0][0] != hashes[0]:
            return query(self, *args, **kwargs)
        items, keys = sorted_index(self, index, hashes[0], ranges[0]).get(
            conditions[0][1], ([], [])
        )
        comparison = arguments.get("range_comparison")
        objects = arguments.get("range_objs") or []
        start = 0
        if comparison in ("BEGINS_WITH", "GE", "GT", "BETWEEN", "EQ"):
            start = bisect.bisect_left(keys, (objects[0],))
        esk = arguments.get("exclusive_start_key")
        if esk:
            after = (DynamoType(esk[ranges[0]]), DynamoType(esk[self.hash_key_attr]))
            after += (DynamoType(esk[self.range_key_attr]),)
            start = max(start, bisect.bisect_right(keys, after))
        limit = arguments.get("limit")
        page: list[Any] = []
        for item in items[start:]:
            if comparison and not item.attrs[ranges[0]].compare(comparison, objects):
                if comparison in _BOUNDED:
                    break
                continue
            page.append(item)
            if limit and len(page) > limit:
                break
        local.index_items = page
        try:
            return query(self, *args, **kwargs)
        finally:
            local.index_items = None

    return wrapped
