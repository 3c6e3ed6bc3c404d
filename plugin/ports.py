"""Refusing a listening address that is already taken, before anything starts.

granian binds its socket with SO_REUSEPORT, so a second ``samattha serve`` on a busy port would start without
complaint and the kernel would split connections between two servers, possibly on two databases. A plain
bind, which no listening socket shares, tells whether the address is free."""

from __future__ import annotations

import errno
import socket

__all__ = ["PortTaken", "check_free"]


class PortTaken(Exception):
    """The host and port are in use (or cannot be bound); the message names --port or --host."""


def check_free(host: str, port: int) -> None:
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as error:
        raise PortTaken(f"--host: cannot listen on {host!r}: {error.strerror}") from None
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    with socket.socket(family, kind, proto) as probe:
        # Sockets in TIME_WAIT from a server just stopped are no obstacle; a listening one still is.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRNOTAVAIL:
                raise PortTaken(f"--host: {host!r} is not an address of this machine ({error.strerror})") from None
            raise PortTaken(f"--port: {shown} is not free ({error.strerror}); is another Samattha "
                            "already serving there? Stop it or choose another --port.") from None
