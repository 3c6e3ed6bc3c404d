"""What each of `samattha serve`'s worker processes runs: the app, built from the ``SAMATTHA_*`` environment.

granian starts the workers (``plugin.wsgi:create``, as a factory) and supervises them. A worker whose supervisor
is gone (killed with SIGKILL, which it cannot pass on) stops itself: left alone it would go on answering on the
port with no one to stop it, and a restarted `samattha serve` would share the port with it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time

from flask import Flask

from plugin.app import create_app
from plugin.config import load_config

__all__ = ["create"]

_PARENT_POLL_SECONDS = 0.5


def create() -> Flask:
    supervisor = multiprocessing.parent_process()
    if supervisor is not None and supervisor.pid is not None:
        # The pid recorded when the worker was started: a supervisor killed while this worker was still
        # importing has already left it with a different parent.
        _stop_with_parent(supervisor.pid)
    return create_app(load_config())


def _stop_with_parent(parent: int) -> None:
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_POLL_SECONDS)
        # SIGTERM: granian's own graceful stop, so requests under way are answered first.
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="samattha-parent-watch", daemon=True).start()
