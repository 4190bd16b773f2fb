"""``dynamodb://TABLE?region=...&endpoint_url=...`` -> DynamoDBStore keyword arguments."""

from __future__ import annotations

from typing import Any
from urllib.parse import SplitResult

from ...options import (
    Options,
    common_options,
    pop_bool,
    pop_float,
    pop_int,
    pop_str,
    reject_unknown,
)


def url_arguments(parts: SplitResult, options: Options) -> tuple[str, dict[str, Any]]:
    """The table name and constructor options of a ``dynamodb://`` URL (options consumed)."""
    table = parts.netloc or parts.path.strip("/") or "sessions-plus"
    common: dict[str, Any] = common_options(options)
    region = pop_str(options, "region")
    region_name = pop_str(options, "region_name")
    common["region_name"] = region or region_name or None
    common["endpoint_url"] = pop_str(options, "endpoint_url") or None
    common["create_table"] = pop_bool(options, "create_table", True)
    if "retry_mode" in options:
        common["retry_mode"] = options.pop("retry_mode")
    for name in ("max_attempts", "max_conflict_retries"):
        number = pop_int(options, name)
        if number is not None:
            common[name] = number
    for name in ("connect_timeout", "read_timeout", "conflict_timeout"):
        seconds = pop_float(options, name)
        if seconds is not None:
            common[name] = seconds
    reject_unknown(options, "dynamodb")
    return table, common
