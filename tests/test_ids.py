"""Session ids, stream names and document names: any non-empty valid text up to the limit."""

from __future__ import annotations

from typing import Any

import pytest

from sessions_plus import (
    MAX_NAME_LENGTH,
    MAX_SESSION_ID_LENGTH,
    InvalidNameError,
    InvalidSessionIdError,
)
from sessions_plus.ids import check_name, check_session_id

VALID = [
    "a",
    " ",
    ":",
    "{tag}",
    "*",
    "/a/b",
    "a b",
    "\x00",
    "\n\t",
    "é",
    "e\u0301",
    "🙂",
    "x" * MAX_SESSION_ID_LENGTH,
    "🙂" * MAX_SESSION_ID_LENGTH,  # the longest: 1,024 bytes of UTF-8
]


@pytest.mark.parametrize("value", VALID)
def test_valid_ids_and_names_are_returned_unchanged(value: str) -> None:
    assert check_session_id(value) is value
    assert check_name(value) is value


def test_limits() -> None:
    assert MAX_SESSION_ID_LENGTH == 256 and MAX_NAME_LENGTH == 256
    assert len(("🙂" * MAX_SESSION_ID_LENGTH).encode()) == 1024


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "session id must not be empty"),
        (None, "session id must be a str, not NoneType"),
        (42, "session id must be a str, not int"),
        (b"abc", "session id must be a str, not bytes"),
        (["a"], "session id must be a str, not list"),
        ("x" * 257, "session id is 257 characters long; the limit is 256"),
        ("\ud800", "session id is not valid Unicode text"),
        ("ok\udfffok", "session id is not valid Unicode text"),
    ],
)
def test_invalid_session_ids(value: Any, message: str) -> None:
    with pytest.raises(InvalidSessionIdError, match=message):
        check_session_id(value)


def test_invalid_session_id_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        check_session_id("")


@pytest.mark.parametrize("value", ["", 1, None, "n" * 257, "\udc80"])
def test_invalid_names_say_what_they_are(value: Any) -> None:
    with pytest.raises(InvalidNameError, match=r"^stream ") as caught:
        check_name(value, "stream")
    assert type(caught.value) is InvalidNameError
    with pytest.raises(InvalidNameError, match=r"^document name "):
        check_name(value, "document name")


def test_a_bad_session_id_is_also_an_invalid_name() -> None:
    """Old ``except InvalidSessionIdError`` code keeps working; new code may catch either."""
    with pytest.raises(InvalidSessionIdError) as caught:
        check_session_id("")
    assert isinstance(caught.value, InvalidNameError)
