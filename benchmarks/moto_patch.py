"""Take one moto artifact out of the DynamoDB numbers: the whole-table copy per transaction.

moto 5 backs up every table a ``TransactWriteItems`` touches with ``copy.deepcopy`` before
applying it, so on moto each transaction costs O(items in the table): seeding a 10,000-record
session takes many minutes and gigabytes, and every append gets slower as the table grows.
Real DynamoDB has no such cost. While the benchmarks run moto in this process, this patch backs
up only the items the transaction names (which is all a transaction can change) and restores
them if it is cancelled, so rollback keeps its meaning. Applied to the benchmark's own moto
server only; nothing else uses it. moto's Query, which scans the whole table, is left as is.
"""

from __future__ import annotations

import copy
from typing import Any

_installed = False


class _CopyWithoutTables:
    """Stands in for the ``copy`` module inside moto.dynamodb.models: tables are not copied."""

    def __init__(self, table_type: type) -> None:
        self._table_type = table_type

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        if isinstance(value, self._table_type):
            return value
        return copy.deepcopy(value, memo)


def install() -> bool:
    """Patch moto in this process (idempotent); False if moto is not importable."""
    global _installed
    if _installed:
        return True
    try:
        import moto.dynamodb.models as models
        from moto.dynamodb.models.table import Table
    except ImportError:
        return False
    backend = models.DynamoDBBackend
    original = backend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved: list[tuple[Any, Any, Any, Any]] = []
        for entry in transact_items:
            op = next(iter(entry.values()), None)
            if not isinstance(op, dict):
                continue
            table = self.tables.get(op.get("TableName"))
            if table is None:
                continue
            try:
                if "Item" in op:
                    keys = {table.hash_key_attr: op["Item"][table.hash_key_attr]}
                    if table.range_key_attr is not None:
                        keys[table.range_key_attr] = op["Item"][table.range_key_attr]
                else:
                    keys = op["Key"]
                hash_key, range_key = self.get_keys_value(table, keys)
                item = table.get_item(hash_key, range_key)
            except Exception:  # invalid input: moto itself raises for it below
                continue
            saved.append((table, hash_key, range_key, copy.deepcopy(item)))
        try:
            original(self, transact_items)
        except Exception:
            for table, hash_key, range_key, item in reversed(saved):
                if range_key is not None:
                    if item is None:
                        table.items[hash_key].pop(range_key, None)
                    else:
                        table.items[hash_key][range_key] = item
                elif item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item
            raise

    models.copy = _CopyWithoutTables(Table)  # type: ignore[assignment]
    backend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _installed = True
    return True
