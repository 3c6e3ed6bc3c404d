"""``samattha demo``: one process serving Samattha and, under ``/demo-moodle``, the demonstration Moodle.

The instance is a folder of its own (a fresh temporary one unless given), with its own SQLite database unless
``--database-url`` names another, so a demo never touches a real instance. The server starts first, because
the seeding talks to it over HTTP the way Moodle would (launch, NRPS); the tour answers 503 until it is done."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import waitress
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from plugin.app import create_app
from plugin.config import load_config
from plugin.demo import site, tour
from plugin.demo.moodle_web import add_launch_page
from plugin.demo.moodle_web import create_app as create_moodle_app
from plugin.migrate import upgrade

__all__ = ["DemoRefused", "MOUNT", "demo_instance", "run_demo"]

MOUNT = "/demo-moodle"
MARKER = "demo.json"


class DemoRefused(Exception):
    """The instance folder cannot be used for a demo; the message says why."""


def demo_instance(given: str | None) -> Path:
    """A fresh folder, or ``given`` if it is empty or an earlier demo's; never a real instance."""
    if not given:
        return Path(tempfile.mkdtemp(prefix="samattha-demo-"))
    path = Path(given).resolve()
    if path.exists() and any(path.iterdir()) and not (path / MARKER).exists():
        raise DemoRefused(f"--instance: {path} holds something other than a Samattha demo; "
                          "give an empty or new folder (or none, for a fresh temporary one)")
    return path


def run_demo(host: str, port: int, instance: Path, *, database_url: str | None, threads: int,
             report: Callable[[str], None] = print) -> None:
    display_host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host  # noqa: S104 - only for the URL shown
    base_url = (os.environ.get("SAMATTHA_BASE_URL") or f"http://{display_host}:{port}").rstrip("/")
    config = load_config(env={}, instance_path=instance, database_url=database_url, base_url=base_url)
    app = create_app(config)
    engine = app.extensions["samattha.engine"]
    upgrade(engine)
    marker = instance / MARKER
    earlier = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else None
    platform = site.build_platform()
    platform.url = base_url + MOUNT
    if earlier is not None and earlier.get("moodle") != platform.url:
        raise DemoRefused(f"--port: this demo instance was made for {earlier.get('moodle')}; start it with the same "
                          "host and port, or use a new instance folder")
    site.connect(platform, base_url, earlier["client_id"] if earlier else None)
    state = tour.TourState(platform)
    app.extensions["samattha.demo"] = state
    app.register_blueprint(tour.bp)
    moodle = create_moodle_app(platform)
    add_launch_page(moodle, platform)
    server = waitress.create_server(DispatcherMiddleware(app, {MOUNT: moodle}), host=host, port=port,
                                    threads=threads, ident="samattha-demo")
    serving = threading.Thread(target=server.run, name="waitress", daemon=True)
    serving.start()
    try:
        if earlier is None:
            state.course_pk = site.seed(app, platform, base_url, report=report)
            marker.write_text(json.dumps({"moodle": platform.url, "client_id": platform.tool().client_id,
                                          "course": state.course_pk, "links": site.saved_links(platform),
                                          "webservice_token": platform.webservice_token},
                                         ensure_ascii=False, indent=1), encoding="utf-8")
        else:
            state.course_pk = int(earlier["course"])
            site.restore_links(platform, earlier["links"])
            # The token Samattha stored for the demo's Web Services must still open them after a restart.
            platform.webservice_token = earlier.get("webservice_token", platform.webservice_token)
        report(tour.compile_now(state, app.extensions["samattha.sessionmaker"], trigger="command"))
    except BaseException:
        server.close()
        raise
    state.ready.set()
    report(f"Samattha demo (instance {instance}): open {base_url}/demo/ to take the tour. Ctrl+C stops it.")
    try:
        serving.join()
    except KeyboardInterrupt:
        report("Stopped.")
    finally:
        server.close()
        engine.dispose()
