"""The fast JSON codec writes the standard library's text, and reads what orjson refuses."""

from __future__ import annotations

import json

from tests.lrs_support import moodle_statements
from xapi import jsontext


def test_dumps_writes_what_json_dumps_writes_for_every_moodle_statement() -> None:
    for stmt in moodle_statements():
        expected = json.dumps(stmt, ensure_ascii=False, separators=(",", ":"))
        assert jsontext.dumps(stmt) == expected
        assert jsontext.dumps(stmt, sort_keys=True) == json.dumps(
            stmt, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
        assert jsontext.loads(expected) == stmt


def test_what_orjson_cannot_handle_falls_back_to_json() -> None:
    assert jsontext.dumps({"n": 2**70, "s": "\ud800"}) == json.dumps(
        {"n": 2**70, "s": "\ud800"}, ensure_ascii=False, separators=(",", ":"))
    assert jsontext.loads('{"s":"\\ud800"}') == {"s": "\ud800"}
    assert jsontext.dumps({"ไทย": "สมรรถนะ"}) == '{"ไทย":"สมรรถนะ"}'
