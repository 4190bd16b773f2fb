"""Make moto's TransactWriteItems and Query cost O(items touched) instead of O(table).

moto 5 deep-copies every table a transaction names before running it, to roll back if it is
cancelled, and a Query on a table's partition key sorts every item of the table to find the
partition: with a few hundred items both take tens of milliseconds, and the DynamoDB tests make
thousands of requests. These patches snapshot only the items a transaction names (restoring
exactly those on failure: the same outcome, since the server applies one request at a time, see
server.py) and let a base-table Query look at its own partition only (moto sorts the result by
sort key itself). Nothing else in moto changes.
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
    Table.query = query  # type: ignore[method-assign]
    _INSTALLED = True
