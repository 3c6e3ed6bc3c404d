"""multipart/mixed statements with attachments, and signed statements (JWS).

xAPI 1.0.3 Part Three §1.5.2 / Data §2.4.11 (attachments), Data §2.6 (signed statements; 2.0 §4.2.5.6).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from jwt import InvalidTokenError
from jwt.api_jws import PyJWS

from xapi.errors import StatementError
from xapi.prepare import comparable

__all__ = ["Part", "check_attachments", "encode_multipart", "parse_multipart"]

SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature"
_ALGORITHMS = ("RS256", "RS384", "RS512")
# What the LRS adds or the signer leaves out: not part of the signed payload comparison (§2.6).
_UNSIGNED = ("attachments", "authority", "stored", "version", "id", "timestamp")


@dataclass
class Part:
    headers: dict[str, str]
    body: bytes


def _boundary(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        name, _, value = param.strip().partition("=")
        if name.strip().lower() == "boundary" and value:
            return value.strip().strip('"')
    raise StatementError("Content-Type", "multipart/mixed needs a boundary parameter")


def _parse_part(chunk: bytes) -> Part:
    head, sep, body = chunk.partition(b"\r\n\r\n")
    if not sep:
        raise StatementError("body", "a multipart part has no header/body separator")
    headers: dict[str, str] = {}
    for line in head.decode("latin-1").split("\r\n"):
        name, colon, value = line.partition(":")
        if colon:
            headers[name.strip().lower()] = value.strip()
    return Part(headers=headers, body=body)


def parse_multipart(body: bytes, content_type: str) -> list[Part]:
    """Split a multipart/mixed body (RFC 2046 §5.1) into parts; the first holds the statements."""
    delimiter = b"--" + _boundary(content_type).encode("latin-1")
    chunks = body.split(delimiter)
    if len(chunks) < 3:
        raise StatementError("body", "malformed multipart/mixed body")
    parts = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break  # the close delimiter
        parts.append(_parse_part(chunk.removeprefix(b"\r\n").removesuffix(b"\r\n")))
    if not parts:
        raise StatementError("body", "multipart/mixed body without parts")
    return parts


def _verify_jws(token: bytes, statement: dict[str, Any], path: str) -> None:
    """Data §2.6: a compact JWS, RS256/384/512, whose payload is the statement as signed."""
    jws = PyJWS(algorithms=list(_ALGORITHMS))
    try:
        header = jws.get_unverified_header(token)
        if header.get("alg") not in _ALGORITHMS:
            raise StatementError(path, "signature algorithm must be RS256, RS384 or RS512")
        if header.get("x5c"):
            # §2.6: with a certificate chain, verify with the signer's public key.
            cert = x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0]))
            payload = jws.decode(token, cert.public_key(), algorithms=[header["alg"]])  # type: ignore[arg-type]
        else:
            payload = jws.decode(token, options={"verify_signature": False})
        signed = json.loads(payload)
    except (InvalidTokenError, ValueError, TypeError, KeyError, IndexError) as exc:
        raise StatementError(path, f"malformed JWS signature ({exc})") from None
    if not isinstance(signed, dict) or _strip(signed) != _strip(statement):
        raise StatementError(path, "the signed payload does not match the statement")


def _strip(statement: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in comparable(statement).items() if key not in _UNSIGNED}


def _declared(statements: list[dict[str, Any]]) -> dict[str, tuple[str, int]]:
    """sha2 → (contentType, index of the statement) for attachments that need a part (no fileUrl)."""
    wanted: dict[str, tuple[str, int]] = {}
    for index, statement in enumerate(statements):
        for attachment in statement.get("attachments") or ():
            wanted.setdefault(attachment["sha2"], (attachment["contentType"], index))
    return wanted


def check_attachments(statements: list[dict[str, Any]], parts: list[Part]) -> list[tuple[str, str, bytes]]:
    """Match attachment parts to the statements' declarations; verify hashes and signatures.
    Returns (sha2, content type, bytes) rows to store."""
    wanted = _declared(statements)
    found: dict[str, Part] = {}
    for number, part in enumerate(parts, start=1):
        where = f"body.part[{number}]"
        sha2 = part.headers.get("x-experience-api-hash")
        if not sha2:
            raise StatementError(where, "an attachment part needs an X-Experience-API-Hash header")
        if part.headers.get("content-transfer-encoding", "binary").strip().lower() != "binary":
            # 1.0.3 Part Three §1.5.2 asks for Content-Transfer-Encoding: binary. A part without the header is
            # taken as binary: HTTP carries any octets as they are and no other encoding was declared to undo.
            # Only a declared other encoding (base64...) is refused: the hash is of the decoded content, and
            # this LRS does not decode.
            raise StatementError(where, "an attachment part's Content-Transfer-Encoding must be binary")
        if sha2 not in wanted:
            raise StatementError(where, "this part matches no attachment of the statements")
        if hashlib.new({56: "sha224", 64: "sha256", 96: "sha384"}.get(len(sha2), "sha512"), part.body).hexdigest() != (
            sha2.lower()
        ):
            raise StatementError(where, "the content does not match X-Experience-API-Hash")
        found[sha2] = part
    for index, statement in enumerate(statements):
        for attachment in statement.get("attachments") or ():
            where = f"[{index}].attachments"
            match = found.get(attachment["sha2"])
            if match is None and "fileUrl" not in attachment:
                raise StatementError(where, f"no part carries attachment {attachment['sha2']}")
            if attachment["usageType"] == SIGNATURE_USAGE:
                if attachment["contentType"] != "application/octet-stream":
                    raise StatementError(where, "a signature attachment must be application/octet-stream")
                if match is None:
                    raise StatementError(where, "the signature attachment is missing")
                _verify_jws(match.body.strip(), statement, where)
    return [(sha2, wanted[sha2][0], part.body) for sha2, part in found.items()]


def has_signature(statement: dict[str, Any]) -> bool:
    return any(a.get("usageType") == SIGNATURE_USAGE for a in statement.get("attachments") or ())


def encode_multipart(first: bytes, attachments: Iterable[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/mixed response: statements JSON, then each attachment (§2.1.3 attachments=true)."""
    boundary = secrets.token_hex(16)
    out = [f"--{boundary}\r\nContent-Type: application/json\r\n\r\n".encode(), first, b"\r\n"]
    for sha2, content_type, body in attachments:
        head = (
            f"--{boundary}\r\nContent-Type: {content_type}\r\nContent-Transfer-Encoding: binary\r\n"
            f"X-Experience-API-Hash: {sha2}\r\n\r\n"
        )
        out += [head.encode(), body, b"\r\n"]
    out.append(f"--{boundary}--".encode())
    return b"".join(out), f"multipart/mixed; boundary={boundary}"
