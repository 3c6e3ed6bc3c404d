"""The Moodle-4.5-like LTI 1.3 platform for tests, served over real HTTP on loopback.

The platform itself is the product's demonstration platform (plugin/demo/moodle.py and moodle_web.py), so
``samattha demo`` and the tests exercise one implementation. Here: what only attacks need (tokens signed
with ``none``, with HMAC keyed by the public key, or with a foreign key), the loopback server, and the
tool-side JWKS app."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives import serialization

from plugin.demo import moodle
from plugin.demo.moodle import (
    ADMIN_ROLES,
    AGS_SCOPES,
    DL,
    INSTRUCTOR,
    LEARNER,
    LIS,
    LTI,
    NRPS_SCOPE,
    Link,
    Tool,
    User,
    new_key,
)
from plugin.demo.moodle_web import create_app, register_tool
from tests.servers import serve_app

__all__ = [
    "ADMIN_ROLES", "AGS_SCOPES", "DL", "INSTRUCTOR", "LEARNER", "LIS", "LTI", "NRPS_SCOPE", "Link", "MoodlePlatform",
    "ToolKeysApp", "Tool", "User", "create_app", "register_tool", "running_platform",
]


def _raw_jwt(header: Mapping[str, Any], payload: Mapping[str, Any], sign: Any) -> str:
    def part(data: Mapping[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    signing_input = f"{part(header)}.{part(payload)}"
    signature = base64.urlsafe_b64encode(sign(signing_input.encode())).rstrip(b"=").decode()
    return f"{signing_input}.{signature}"


class MoodlePlatform(moodle.MoodlePlatform):
    """The lab site of the fixtures (course 2, a student "3", a teacher "4", an admin "2"), with forgeries."""

    def sign_none(self, payload: Mapping[str, Any]) -> str:
        return _raw_jwt({"typ": "JWT", "alg": "none", "kid": self.kid}, payload, lambda _: b"")

    def sign_hs256_with_public_key(self, payload: Mapping[str, Any]) -> str:
        """The classic key-confusion attack: HMAC keyed with the platform's *public* key PEM."""
        public = self.keys[-1][1].public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        return _raw_jwt({"typ": "JWT", "alg": "HS256", "kid": self.kid}, payload,
                        lambda data: hmac.new(public, data, hashlib.sha256).digest())

    def sign_with_foreign_key(self, payload: Mapping[str, Any]) -> str:
        """Right header (our kid), wrong private key: a bad signature."""
        return self.sign(payload, key=new_key()[1])


@contextmanager
def running_platform() -> Iterator[MoodlePlatform]:
    platform = MoodlePlatform()
    with serve_app(create_app(platform)) as url:
        platform.url = url
        yield platform


class ToolKeysApp:
    """The tool side's published JWKS, served over HTTP so the platform can fetch it like Moodle does."""

    def __init__(self) -> None:
        self.jwks: dict[str, Any] = {"keys": []}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = json.dumps(self.jwks).encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]
