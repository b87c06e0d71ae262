"""Run the server: gunicorn's threaded worker (one process, many threads) serving Flask and Socket.IO.

Flask-SocketIO's threading mode with simple-websocket needs one thread per open websocket, hence the
large thread count; scale out with more processes behind nginx and HANGCHO_MESSAGE_QUEUE_URL=redis://…
"""
from __future__ import annotations

import logging
import sys
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from server.runtime import EXTENSION_KEY
from server.scheduler import Scheduler

logger = logging.getLogger(__name__)


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self.application = app
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.application


def serve(app: Flask, host: str, port: int, threads: int = 1000, access_log: bool = False) -> None:
    runtime = app.extensions[EXTENSION_KEY]
    sys.setswitchinterval(runtime.settings.thread_switch_interval_s)

    def post_worker_init(_worker: Any) -> None:
        # In the worker, not the master: events the jobs publish must reach this process's sockets.
        if runtime.settings.scheduler:
            Scheduler(runtime).start()
        if runtime.settings.uplink_enabled:
            from server.uplink.health import start_uplink

            start_uplink(runtime)

    options = {
        "post_worker_init": post_worker_init,
        "bind": f"{host}:{port}",
        "workers": 1,
        "worker_class": "gthread",
        "threads": threads,
        "worker_connections": threads * 2,
        "timeout": 0,  # websockets stay open; the worker is not a request-per-timeout worker
        "graceful_timeout": 5,
        "keepalive": 30,
        "accesslog": "-" if access_log else None,
        "errorlog": "-",
        "loglevel": "warning",
    }
    logger.info("serving on http://%s:%s", host, port)
    _Gunicorn(app, options).run()
