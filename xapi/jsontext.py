"""JSON text, fast: orjson where it gives what the standard library gives, ``json`` where it cannot.

Every statement is serialised on its way into the LRS (the text kept for ``format=exact`` and the parsed
form), and every compile decodes each stored statement again; orjson does both several times faster.

``dumps`` is exact: compact (``,`` and ``:``), UTF-8 as is, the same text as ``json.dumps`` with
``ensure_ascii=False, separators=(",", ":")`` but for the spelling of float exponents (``1e-7``, not
``1e-07``). What orjson cannot write (integers beyond 64 bits, strings holding lone surrogates) is written
by ``json``.

``loads`` is not exact for integers beyond 64 bits, which orjson reads as doubles: it is for readers that use
numbers as numbers (the compiler's score fractions), never for text the LRS gives back. Lone surrogates,
which orjson refuses, are read by ``json``.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["dumps", "loads"]


def dumps(value: Any, *, sort_keys: bool = False) -> str:
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS if sort_keys else 0).decode("utf-8")
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        text: str = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys,
                               allow_nan=False)
        return text


def loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)
