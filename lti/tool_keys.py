"""The tool's own RSA signing keys: generation, the public JWKS the platform fetches, and signing.

The plugin stores the keys; rotation is "add a key, sign with it, keep publishing the old one until every
token it signed has expired" (Security Framework §6.3 asks platforms to fetch keys by ``kid``)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["ToolKey", "generate_key", "public_jwk", "public_jwks", "sign_jwt"]


@dataclass(frozen=True)
class ToolKey:
    """A private key (PKCS#8 PEM) and its key id (RFC 7638 thumbprint, so it is stable and unique)."""

    kid: str
    private_pem: str


def _b64uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


@lru_cache(maxsize=32)
def _load(private_pem: str) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("tool keys must be RSA: LTI 1.3 signs with RS256 (Security Framework §6.1)")
    return key


def _public_numbers(private_pem: str) -> tuple[str, str]:
    numbers = _load(private_pem).public_key().public_numbers()
    return _b64uint(numbers.n), _b64uint(numbers.e)


def _thumbprint(n: str, e: str) -> str:
    # RFC 7638 §3.2: required members only, lexicographic order, no whitespace.
    canonical = json.dumps({"e": e, "kty": "RSA", "n": n}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def generate_key(bits: int = 2048) -> ToolKey:
    """A new RSA key; 2048 bits is what Moodle itself uses and what RS256 requires at minimum."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    n, e = _public_numbers(pem)
    return ToolKey(kid=_thumbprint(n, e), private_pem=pem)


def public_jwk(key: ToolKey) -> dict[str, str]:
    n, e = _public_numbers(key.private_pem)
    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": key.kid, "n": n, "e": e}


def public_jwks(keys: Iterable[ToolKey]) -> dict[str, list[dict[str, str]]]:
    """The JSON served at the tool's ``jwks_uri``: only public parts, one entry per published key."""
    return {"keys": [public_jwk(key) for key in keys]}


def sign_jwt(claims: Mapping[str, Any], key: ToolKey, *, headers: Mapping[str, Any] | None = None) -> str:
    """RS256 with ``kid`` in the header: Moodle picks our key from our JWKS by that ``kid``."""
    header = {"typ": "JWT", "kid": key.kid, **(headers or {})}
    return jwt.encode(dict(claims), _load(key.private_pem), algorithm="RS256", headers=header)
