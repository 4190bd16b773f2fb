"""Bytes and media types as the SDKs spell them: data URLs, Strands' base64 markers, formats."""

from __future__ import annotations

import base64
import binascii
from typing import Any

BYTES_MARKER = "__bytes_encoded__"
"""Strands' key for bytes inside JSON: ``{"__bytes_encoded__": true, "data": "<base64>"}``."""

IMAGE_FORMATS = frozenset({"png", "jpeg", "gif", "webp"})
"""Image formats Strands (Bedrock Converse) accepts."""

_IMAGE_ALIASES = {"jpg": "jpeg"}

DOCUMENT_MEDIA_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html",
    "txt": "text/plain",
    "md": "text/markdown",
}
"""Strands document formats and their media types."""

DOCUMENT_FORMATS = {media_type: fmt for fmt, media_type in DOCUMENT_MEDIA_TYPES.items()}


def b64encode(data: bytes) -> str:
    """Standard base64 text of ``data``."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str) -> bytes | None:
    """Bytes of standard base64 ``text``, or None if it is not valid base64."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def encode_bytes(data: bytes) -> dict[str, Any]:
    """Strands' JSON form of bytes."""
    return {BYTES_MARKER: True, "data": b64encode(data)}


def decode_bytes(value: Any) -> bytes | None:
    """Bytes from Strands' JSON form (or bytes themselves), else None."""
    if type(value) is bytes:
        return value
    if (
        type(value) is dict
        and value.get(BYTES_MARKER) is True
        and type(value.get("data")) is str
        and len(value) == 2
    ):
        return b64decode(value["data"])
    return None


def data_url(media_type: str | None, data: bytes) -> str:
    """A base64 data URL."""
    return f"data:{media_type or 'application/octet-stream'};base64,{b64encode(data)}"


def parse_data_url(url: str) -> tuple[str | None, bytes] | None:
    """``(media_type, bytes)`` of a base64 data URL that reads back exactly; else None.

    Only URLs that :func:`data_url` would spell the same way are decoded, so a URL decoded to
    bytes and encoded again is the same string.
    """
    if not url.startswith("data:"):
        return None
    header, sep, payload = url.partition(",")
    if not sep or not header.endswith(";base64"):
        return None
    media_type = header[5:-7]
    if not media_type or ";" in media_type:
        return None
    data = b64decode(payload)
    if data is None or b64encode(data) != payload:
        return None
    return media_type, data


def media_type_of_data_url(url: str) -> str | None:
    """The media type written in a data URL, if any."""
    if not url.startswith("data:"):
        return None
    header = url[5:].partition(",")[0]
    media_type = header.partition(";")[0]
    return media_type or None


def image_format(media_type: str | None) -> str | None:
    """The Strands image format for a media type, if Strands accepts it."""
    if media_type is None or not media_type.startswith("image/"):
        return None
    fmt = media_type[6:]
    fmt = _IMAGE_ALIASES.get(fmt, fmt)
    return fmt if fmt in IMAGE_FORMATS else None


def document_format(media_type: str | None, name: str | None) -> str | None:
    """The Strands document format for a media type (or the file name's extension)."""
    if media_type in DOCUMENT_FORMATS:
        return DOCUMENT_FORMATS[media_type]
    if name and "." in name:
        ext = name.rsplit(".", 1)[1].lower()
        if ext in DOCUMENT_MEDIA_TYPES:
            return ext
    return None
