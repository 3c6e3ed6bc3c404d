"""A tiny stand-in for clamd (ClamAV is not installed here and its signatures cannot be downloaded): a real
socket speaking INSTREAM (``zINSTREAM\\0``, length-prefixed chunks, a zero length) that answers as clamd does,
``stream: Eicar-Signature FOUND`` when the bytes hold the EICAR test string and ``stream: OK`` otherwise."""

from __future__ import annotations

import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["EICAR", "clamd"]

# The industry's harmless test file, built in two halves so this source file is not itself flagged.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD" + b"-ANTIVIRUS-TEST-FILE!H+H*"


class _Instream(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        if self.rfile.read(10) != b"zINSTREAM\0":
            self.wfile.write(b"UNKNOWN COMMAND\0")
            return
        data = bytearray()
        while (size := struct.unpack(">I", self.rfile.read(4))[0]) > 0:
            data += self.rfile.read(size)
        self.wfile.write(b"stream: Eicar-Signature FOUND\0" if EICAR in data else b"stream: OK\0")


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


@contextmanager
def clamd(path: Path) -> Iterator[str]:
    """clamd listening on a unix socket at ``path``; yields the SAMATTHA_CLAMD_SOCKET setting for it."""
    with _Server(str(path), _Instream) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield str(path)
        finally:
            server.shutdown()
            thread.join()
