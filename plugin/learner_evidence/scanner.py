"""Asking ClamAV's clamd about a file before it is stored (SAMATTHA_CLAMD_SOCKET), over clamd's INSTREAM
protocol: ``zINSTREAM\\0``, the bytes in chunks each led by its length (4 bytes, big-endian), a zero length to
end; clamd answers ``stream: OK``, ``stream: <signature> FOUND`` or ``… ERROR``.

The caller fails closed: anything but OK or FOUND (clamd not reachable, a timeout, its own error such as a
stream over its StreamMaxLength) is ScannerUnavailable, and the file is not stored unscanned."""

from __future__ import annotations

import socket
import struct

__all__ = ["ScannerUnavailable", "address", "scan"]

_CHUNK = 64 * 1024
_CONNECT_SECONDS = 5.0
_SCAN_SECONDS = 120.0  # clamd reads a large office file for a while before it answers


class ScannerUnavailable(Exception):
    """clamd could not say whether the bytes are clean; the message says why, for the log."""


def address(setting: str) -> tuple[socket.AddressFamily, str | tuple[str, int]]:
    """``tcp://host:port`` or a unix socket's absolute path, as socket.connect takes it; ValueError otherwise."""
    if setting.startswith("tcp://"):
        host, _, port = setting.removeprefix("tcp://").rstrip("/").rpartition(":")
        host = host.strip("[]")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"SAMATTHA_CLAMD_SOCKET: tcp://host:port, not {setting!r}")
        return (socket.AF_INET6 if ":" in host else socket.AF_INET), (host, int(port))
    if not setting.startswith("/"):
        raise ValueError(f"SAMATTHA_CLAMD_SOCKET: a unix socket's absolute path or tcp://host:port, not {setting!r}")
    return socket.AF_UNIX, setting


def _ask(setting: str, data: bytes) -> str:
    family, where = address(setting)
    with socket.socket(family, socket.SOCK_STREAM) as connection:
        connection.settimeout(_CONNECT_SECONDS)
        connection.connect(where)
        connection.settimeout(_SCAN_SECONDS)
        connection.sendall(b"zINSTREAM\0")
        for start in range(0, len(data), _CHUNK):
            chunk = data[start:start + _CHUNK]
            connection.sendall(struct.pack(">I", len(chunk)) + chunk)
        connection.sendall(struct.pack(">I", 0))
        reply = bytearray()
        while not reply.endswith(b"\0") and (part := connection.recv(4096)):
            reply += part
    return reply.rstrip(b"\0\n").decode("utf-8", "replace")


def scan(setting: str, data: bytes) -> str | None:
    """The signature clamd at ``setting`` finds in ``data``, or None when it finds the bytes clean."""
    try:
        answer = _ask(setting, data)
    except OSError as error:
        raise ScannerUnavailable(f"clamd at {setting}: {error}") from None
    verdict = answer.removeprefix("stream:").strip()
    if verdict == "OK":
        return None
    if verdict.endswith(" FOUND") and (signature := verdict.removesuffix(" FOUND").strip()):
        return signature
    raise ScannerUnavailable(f"clamd at {setting}: {answer or 'no answer'}")
