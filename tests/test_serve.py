"""README's first command, as a process: `samattha serve` migrates, loads the standard and answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from plugin.ports import PortTaken, check_free
from tests.conftest import TEST_DATABASE_URL, FreshDatabases
from tests.servers import ROOT, descendants, plugin_env, serve
from tests.test_standard_web import ALL_UNITS


def test_serve_on_a_fresh_instance_shows_the_standard(databases: FreshDatabases, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    database_url = databases.new() if TEST_DATABASE_URL else None
    with serve(instance, database_url) as server:
        home = requests.get(server.url + "/", timeout=10)
        assert home.status_code == 200
        assert home.headers["Content-Type"] == "text/html; charset=utf-8"
        for code in ALL_UNITS:
            assert f">{code}</a>" in home.text
        # The production server, not Flask's development server, answers.
        assert home.headers.get("Server") == "granian"
        assert requests.get(server.url + "/static/fonts/sarabun-thai-400-normal.woff2", timeout=10).ok
        # granian's advice of one worker per CPU contradicts serve's measured default; it is not shown.
        log = (tmp_path / f"serve-{server.url.rsplit(':', 1)[1]}.log").read_text()
        assert "Listening at" in log and "CPU cores" not in log
    assert (instance / "secret_key").exists()
    if database_url is None:
        assert (instance / "samattha.db").exists()


def test_serve_twice_on_the_same_instance_keeps_data(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    with serve(instance) as server:
        first = requests.get(server.url + "/api/standards", timeout=10).json()
    with serve(instance) as server:
        again = requests.get(server.url + "/api/standards", timeout=10).json()
    assert first == again
    assert len(again["units"]) == 17


def test_workers_stop_when_serve_is_killed(tmp_path: Path) -> None:
    """SIGKILL cannot be passed on: left alone, the workers would go on answering with no supervisor."""
    with serve(tmp_path / "instance", args=("--workers", "2")) as server:
        workers = descendants(server.process.pid)
        assert len(workers) >= 2
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)
        with pytest.raises(requests.ConnectionError):
            requests.get(server.url + "/healthz", timeout=2)


def test_idle_connections_do_not_keep_serve_from_answering(tmp_path: Path) -> None:
    """A browser keeps idle keep-alive (and speculative) connections open; they must not take the places of
    requests. With granian's backpressure at the thread count they did, and the next page waited for them."""
    with serve(tmp_path / "instance", args=("--workers", "1", "--threads", "1")) as server:
        port = int(server.url.rsplit(":", 1)[1])
        idle = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(6)]
        try:
            assert requests.get(server.url + "/healthz", timeout=5).status_code == 200
        finally:
            for connection in idle:
                connection.close()


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_second_server_on_a_busy_port_is_refused(command: str, tmp_path: Path) -> None:
    """granian listens with SO_REUSEPORT: unchecked, a second `serve` started beside the first and the kernel
    split requests between the two instances' databases."""
    with serve(tmp_path / "instance") as first:
        port = first.url.rsplit(":", 1)[1]
        # serve's instance is named; the demo's is left to it, a fresh folder under TMPDIR.
        settings = {"instance_path": str(tmp_path / "second")} if command == "serve" else {}
        env = plugin_env(**settings) | {"TMPDIR": str(tmp_path / "tmp")}
        (tmp_path / "tmp").mkdir()
        second = subprocess.run([sys.executable, "-m", "plugin", command, "--port", port],  # noqa: S603
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == 2
        assert f"--port: 127.0.0.1:{port} is not free" in second.stderr
        assert requests.get(first.url + "/healthz", timeout=5).status_code == 200
    # Nothing was made for the refused server: no instance, no demo folder.
    assert not (tmp_path / "second").exists()
    assert list((tmp_path / "tmp").iterdir()) == []


def test_the_port_check_names_the_option_at_fault() -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737): no machine has it.
    with pytest.raises(PortTaken, match=r"^--host: '192\.0\.2\.1' is not an address of this machine"):
        check_free("192.0.2.1", 8000)
    try:
        listener = socket.create_server(("::1", 0), family=socket.AF_INET6)
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with listener:
        port = listener.getsockname()[1]
        with pytest.raises(PortTaken, match=rf"^--port: \[::1\]:{port} is not free"):
            check_free("::1", port)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie has stopped; only its parent's exit status is left
