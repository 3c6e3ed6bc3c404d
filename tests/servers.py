"""Run `samattha serve` as a real process on loopback, the way an operator starts it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    instance: Path
    process: subprocess.Popen[bytes]



@contextmanager
def serve(instance: Path, database_url: str | None = None, *, args: tuple[str, ...] = ()) -> Iterator[Server]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SAMATTHA_")}
    env["SAMATTHA_INSTANCE_PATH"] = str(instance)
    if database_url:
        env["SAMATTHA_DATABASE_URL"] = database_url
    log = (instance.parent / f"serve-{port}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "plugin", "serve", "--port", str(port), *args],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, Path(log.name))
        yield Server(url=url, instance=instance, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"samattha serve exited: {log.read_text(errors='replace')}")
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"samattha serve did not become healthy: {log.read_text(errors='replace')}")


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


@contextmanager
def serve_app(app: Any) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1, an OS-chosen port, in a daemon thread; yields its base URL.

    The short poll keeps shutdown quick: many tests start and stop two or three of these each."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
