"""What one request may ask of the LRS, set by the operator, and the checks that hold it to that.

The checks come in the order that keeps memory bounded: what the headers say (before the body is read), what
the bytes say (before they are parsed), then what the parsed statements say. Parsed JSON costs several times
its text, and an object costs about 90 bytes of interpreter memory however short its text: "[{},{},...]" is 3
bytes an object. So besides the bytes, the objects a request's statements may hold are counted, cheaply, by
their opening braces (which may overcount, never undercount), before parsing; the budget allows an average of
``OBJECTS_PER_STATEMENT`` per statement of the largest batch, ten times what a Moodle statement has.

Sizes refused are 413 (Content Too Large); a statement with too many context activities is a 400. Every message
names the limit and its value, so a client's operator can tell which one to raise.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
from dataclasses import dataclass
from typing import Any

from xapi.errors import StatementError

__all__ = ["OBJECTS_PER_STATEMENT", "Limits", "give_back_memory"]

OBJECTS_PER_STATEMENT = 100
_CONTEXT_KINDS = ("parent", "grouping", "category", "other")
_FIRST = re.compile(rb"[ \t\r\n]*\{")  # a body that is one statement, not a batch


@dataclass(frozen=True)
class Limits:
    statement_bytes: int = 1024 * 1024  # one statement's JSON, as stored
    batch_statements: int = 1000  # statements in one POST
    batch_bytes: int = 8 * 1024 * 1024  # the statements' JSON in one request (the body or its first part)
    context_activities: int = 1000  # in one statement, its four lists together (a sub-statement's too)
    attachment_bytes: int = 32 * 1024 * 1024  # one attachment part
    body_bytes: int = 64 * 1024 * 1024  # a whole request body, attachments included

    def check_declared_length(self, content_type: str, length: int | None) -> None:
        """Before the body is read: a JSON body the Content-Length says is over the batch limit."""
        if length is not None and length > self.batch_bytes and content_type.lower().startswith("application/json"):
            raise _too_large("body", f"is {length} bytes; the largest batch this LRS accepts is {self.batch_bytes} "
                             "bytes of statements (limit: batch bytes)")

    def check_json_text(self, text: bytes, path: str) -> None:
        """Before parsing the statements' JSON: its size, and the objects it can hold."""
        if len(text) > self.batch_bytes:
            raise _too_large(path, f"is {len(text)} bytes; the largest batch this LRS accepts is "
                             f"{self.batch_bytes} bytes of statements (limit: batch bytes)")
        if len(text) > self.statement_bytes and _FIRST.match(text, 0, 64) is not None:
            raise _too_large(path, f"is {len(text)} bytes; the largest statement this LRS accepts is "
                             f"{self.statement_bytes} bytes (limit: statement bytes)")
        objects = self.batch_statements * OBJECTS_PER_STATEMENT
        if len(text) > objects and text.count(b"{") > objects:
            raise _too_large(path, f"holds more than {objects} JSON objects; this LRS accepts at most "
                             f"{OBJECTS_PER_STATEMENT} per statement of its largest batch "
                             f"({self.batch_statements} statements; limit: batch statements)")

    def check_batch(self, statements: list[dict[str, Any]]) -> None:
        """After validation: the number of statements, and each one's context activities."""
        if len(statements) > self.batch_statements:
            raise _too_large("body", f"holds {len(statements)} statements; this LRS accepts at most "
                             f"{self.batch_statements} in one request (limit: batch statements)")
        for index, statement in enumerate(statements):
            count = _context_activities(statement) + _context_activities(statement.get("object") or {})
            if count > self.context_activities:
                where = f"[{index}].context.contextActivities" if len(statements) > 1 else "context.contextActivities"
                raise StatementError(where, f"holds {count} activities; this LRS accepts at most "
                                     f"{self.context_activities} in one statement (limit: context activities)")

    def check_stored(self, index: int, text: str, single: bool) -> None:
        """A statement as it will be stored (with id, stored and authority added)."""
        if len(text) > self.statement_bytes // 4 and len(text.encode("utf-8")) > self.statement_bytes:
            raise _too_large("body" if single else f"[{index}]", f"is {len(text.encode('utf-8'))} bytes as "
                             f"stored; the largest statement this LRS accepts is {self.statement_bytes} bytes "
                             "(limit: statement bytes)")

    def check_attachment(self, where: str, size: int) -> None:
        if size > self.attachment_bytes:
            raise _too_large(where, f"is {size} bytes; the largest attachment this LRS accepts is "
                             f"{self.attachment_bytes} bytes (limit: attachment bytes)")


def _context_activities(statement: Any) -> int:
    context = statement.get("context") if isinstance(statement, dict) else None
    lists = context.get("contextActivities") if isinstance(context, dict) else None
    if not isinstance(lists, dict):
        return 0
    return sum(len(value) if isinstance(value, list) else 1 for kind, value in lists.items() if kind in _CONTEXT_KINDS)


def _too_large(path: str, message: str) -> StatementError:
    return StatementError(path, message, status=413)


def _load_trim() -> Any:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)  # glibc's; musl and macOS have none and give back on their own


_malloc_trim = _load_trim()


def give_back_memory() -> None:
    """After a large request: hand the freed heap back to the system. CPython frees the parsed objects, but
    glibc keeps the pages in its arenas, so a worker that once parsed 50 MB stayed that large."""
    if _malloc_trim is not None:
        _malloc_trim(0)
