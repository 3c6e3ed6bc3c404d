"""The CPU one LTI 1.3 launch (OIDC login + launch) costs Samattha, beside a minimal tool doing the same job.

    python benchmarks/launch_cpu_bench.py [--launches 300] [--database-url postgresql+psycopg://…]

Both tools run in this process behind Flask's test client, each launch a fresh browser (new cookies). The
Moodle-like test platform (tests/lti_platform.py) answers the OIDC request in-process (its `authorize`), and
is served on loopback only for the one key fetch each tool makes. The clock is the calling thread's CPU time
(time.thread_time) around the two requests each tool answers, so the platform's work is not counted.

The minimal tool is what any LTI 1.3 tool must do at least: at login, a state and a nonce kept in the
session and the redirect to the platform; at launch, the id_token verified with PyJWT (RS256, the platform's
key, audience, issuer, expiry), the nonce and state compared, the person kept in the session. Samattha does
more (it records the course, the person, their roles and the resource link, and refuses a replayed nonce
across processes); the ratio says what that costs. Also printed: SQL statements per Samattha launch.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from flask import Flask, abort, redirect, request, session
from flask.testing import FlaskClient
from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin.app import create_app  # noqa: E402
from plugin.config import load_config  # noqa: E402
from plugin.migrate import upgrade  # noqa: E402
from tests.lti_platform import MoodlePlatform, Tool, running_platform  # noqa: E402
from tests.test_lti_flow import register  # noqa: E402


def minimal_tool(platform: MoodlePlatform, tool: Tool) -> Flask:
    app = Flask("minimal")
    app.secret_key = secrets.token_bytes(32)
    keys = jwt.PyJWKClient(f"{platform.url}/mod/lti/certs.php")

    @app.post("/login")
    def login() -> Any:
        state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        session["state"], session["nonce"] = state, nonce
        query = {"scope": "openid", "response_type": "id_token", "response_mode": "form_post", "prompt": "none",
                 "client_id": tool.client_id, "redirect_uri": tool.target_link_uri, "state": state, "nonce": nonce,
                 "login_hint": request.form["login_hint"], "lti_message_hint": request.form["lti_message_hint"]}
        return redirect(f"{platform.url}/mod/lti/auth.php?{urlencode(query)}")

    @app.post("/launch")
    def launch() -> Any:
        token = request.form["id_token"]
        key = keys.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=tool.client_id, issuer=platform.url)
        if request.form.get("state") != session.pop("state", None) or claims.get("nonce") != session.pop("nonce", 0):
            abort(401)
        session["user"] = claims["sub"]
        return "launched"

    return app


def one_launch(client: FlaskClient, platform: MoodlePlatform, tool: Tool, login_path: str,
               launch_path: str) -> float:
    """CPU seconds of this thread for the tool's two requests of one launch."""
    form = platform.initiate_login("3", tool=tool)
    began = time.thread_time()
    started = client.post(login_path, data=form)
    spent = time.thread_time() - began
    assert started.status_code in (302, 303), started.status_code
    params = {k: v[0] for k, v in parse_qs(urlsplit(started.headers["Location"]).query).items()}
    _, id_token, state = platform.authorize(params)
    began = time.thread_time()
    landed = client.post(launch_path, data={"id_token": id_token, "state": state})
    spent += time.thread_time() - began
    assert landed.status_code in (200, 302, 303), landed.status_code
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary instance")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, running_platform() as platform:
        overrides = {"database_url": args.database_url} if args.database_url else {}
        app = create_app(load_config(env={}, instance_path=Path(tmp) / "instance", base_url="http://tool.test",
                                     **overrides))
        upgrade(app.extensions["samattha.engine"])
        tool = platform.add_tool(target_link_uri="http://tool.test/lti/launch",
                                 jwks_uri="http://tool.test/.well-known/jwks.json")
        register(app, platform, tool)
        statements = [0]
        event.listen(app.extensions["samattha.engine"], "before_cursor_execute",
                     lambda *_: statements.__setitem__(0, statements[0] + 1))
        minimal_tool_record = platform.add_tool(target_link_uri="http://minimal.test/launch")
        minimal = minimal_tool(platform, minimal_tool_record)
        rounds: dict[str, list[float]] = {"samattha": [], "minimal": []}
        one_launch(app.test_client(), platform, tool, "/lti/login", "/lti/launch")  # warm up: keys fetched, caches
        one_launch(minimal.test_client(), platform, minimal_tool_record, "/login", "/launch")
        before = statements[0]
        for _ in range(args.launches):  # one of each in turn, so a slower moment of the machine hits both alike
            rounds["samattha"].append(one_launch(app.test_client(), platform, tool, "/lti/login", "/lti/launch"))
            rounds["minimal"].append(one_launch(minimal.test_client(), platform, minimal_tool_record, "/login",
                                                "/launch"))
        per_launch = (statements[0] - before) / len(rounds["samattha"])
        samattha, least = statistics.median(rounds["samattha"]), statistics.median(rounds["minimal"])
        print(f"database: {args.database_url or 'SQLite (WAL)'}; {len(rounds['samattha'])} launches each")
        print(f"Samattha login + launch:  {samattha * 1000:6.2f} ms CPU (median)  {per_launch:.1f} SQL statements")
        print(f"minimal tool (PyJWT):     {least * 1000:6.2f} ms CPU (median)")
        print(f"ratio:                    {samattha / least:6.2f}")


if __name__ == "__main__":
    main()
