"""Run `samattha serve` as a real process on loopback, the way an operator starts it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    instance: Path
    process: subprocess.Popen[bytes]



def plugin_env(**settings: str) -> dict[str, str]:
    """This process's environment without any SAMATTHA_* setting, plus ``settings`` (names without the prefix)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("SAMATTHA_")}
    env.update({f"SAMATTHA_{name.upper()}": value for name, value in settings.items()})
    return env


@contextmanager
def plugin_process(args: Sequence[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m plugin ARGS`` with its output in ``log``; stopped (then killed) on the way out."""
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "plugin", *args], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_for(process: subprocess.Popen[bytes], log: Path, what: str, ready: Callable[[], T | None],
             seconds: float = 90) -> T:
    """Poll ``ready`` until it gives a value; fail with the process's output if it exits or takes too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what}: the process exited: {log.read_text(errors='replace')}")
        found = ready()
        if found is not None:
            return found
        time.sleep(0.2)
    raise RuntimeError(f"{what}: not ready in {seconds:g} s: {log.read_text(errors='replace')}")


@contextmanager
def serve(instance: Path, database_url: str | None = None, *, args: tuple[str, ...] = ()) -> Iterator[Server]:
    port = free_port()
    settings = {"instance_path": str(instance)} | ({"database_url": database_url} if database_url else {})
    url = f"http://127.0.0.1:{port}"
    log = instance.parent / f"serve-{port}.log"
    with plugin_process(["serve", "--port", str(port), *args], plugin_env(**settings), log) as process:
        wait_for(process, log, "samattha serve", lambda: True if _healthy(url) else None)
        yield Server(url=url, instance=instance, process=process)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (granian's workers, multiprocessing's resource tracker), children first."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [d for child in map(int, children) for d in (*descendants(child), child)]


def _healthy(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


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
