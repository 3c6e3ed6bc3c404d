"""Benchmark LTI launch throughput: login + platform auth + launch round trips per second.

    python benchmarks/lti_bench.py [--seconds 5] [--database-url postgresql+psycopg://…]

Starts the Moodle-like test platform (tests/lti_platform.py) in this process and a real `samattha serve`
(granian, with its default workers) as a subprocess on loopback, registers the platform with `samattha platforms add`,
then drives complete launches the way a browser does: POST the login form to /lti/login, follow the
redirect to the platform's /mod/lti/auth.php, POST id_token + state to /lti/launch (the landing page
itself is not fetched). Prints launches/s for one client and for 8 concurrent clients, with p50/p95.
Each launch is a fresh browser (new cookie jar), as when many people click the activity at once.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.lti_platform import MoodlePlatform, Tool, running_platform  # noqa: E402
from tests.servers import serve  # noqa: E402


def one_launch(platform: MoodlePlatform, tool: Tool, tool_url: str, user_id: str) -> None:
    browser = requests.Session()
    form = platform.initiate_login(user_id, tool=tool)
    started = browser.post(tool_url + "/lti/login", data=form, allow_redirects=False, timeout=10)
    auth = browser.get(started.headers["Location"], timeout=10).text
    token = re.search(r'name="id_token" value="([^"]+)"', auth)
    state = re.search(r'name="state" value="([^"]+)"', auth)
    if token is None or state is None:
        raise RuntimeError(f"platform refused the login: {auth[:300]}")
    landed = browser.post(tool_url + "/lti/launch", data={"id_token": token.group(1), "state": state.group(1)},
                          allow_redirects=False, timeout=10)
    if landed.status_code != 303:
        raise RuntimeError(f"launch refused ({landed.status_code}): {landed.text[:500]}")


def run(platform: MoodlePlatform, tool: Tool, tool_url: str, clients: int, seconds: float) -> tuple[float, list[float]]:
    durations: list[float] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds
    users = ["2", "3", "4"]

    def work(index: int) -> None:
        n = 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            one_launch(platform, tool, tool_url, users[(index + n) % len(users)])
            with lock:
                durations.append(time.perf_counter() - started)
            n += 1

    began = time.perf_counter()
    threads = [threading.Thread(target=work, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(durations) / (time.perf_counter() - began), durations


def report(label: str, rate: float, durations: list[float]) -> None:
    cuts = statistics.quantiles(durations, n=20)
    print(f"{label:<22} {rate:8.1f} launches/s   p50 {statistics.median(durations) * 1000:6.1f} ms"
          f"   p95 {cuts[18] * 1000:6.1f} ms   ({len(durations)} launches)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary instance")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_platform() as platform, \
            serve(Path(tmp) / "instance", args.database_url) as server:
        tool = platform.add_tool(target_link_uri=f"{server.url}/lti/launch",
                                 jwks_uri=f"{server.url}/.well-known/jwks.json")
        env = {k: v for k, v in os.environ.items() if not k.startswith("SAMATTHA_")}
        env["SAMATTHA_INSTANCE_PATH"] = str(server.instance)
        if args.database_url:
            env["SAMATTHA_DATABASE_URL"] = args.database_url
        subprocess.run([sys.executable, "-m", "plugin", "platforms", "add", "--issuer", platform.url,  # noqa: S603
                        "--client-id", tool.client_id, "--deployment-id", tool.deployment_id,
                        "--auth-url", f"{platform.url}/mod/lti/auth.php", "--token-url",
                        f"{platform.url}/mod/lti/token.php", "--jwks-url", f"{platform.url}/mod/lti/certs.php"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        one_launch(platform, tool, server.url, "3")  # warm up: platform keys fetched and cached
        print(f"Samattha {server.url} (granian, default workers), platform {platform.url}, "
              f"database {args.database_url or 'SQLite (WAL)'}")
        for clients in (1, 8):
            rate, durations = run(platform, tool, server.url, clients, args.seconds)
            report(f"{clients} client{'s' if clients > 1 else ''}", rate, durations)


if __name__ == "__main__":
    main()
