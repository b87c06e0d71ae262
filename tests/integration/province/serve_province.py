"""A real central process (HANGCHO_ROLE=central) on the hand-made province of conftest.py, served by the
project's gunicorn runner.

    python -m tests.integration.province.serve_province DATABASE_URL PORT
"""
from __future__ import annotations

import sys

from server import create_app
from server.serve import serve
from server.settings import load_settings


def main() -> None:
    database_url, port = sys.argv[1], int(sys.argv[2])
    settings = load_settings(database_url=database_url, port=port, secret_key="live-test-secret", scheduler=False,
                             demo=True, log_level="WARNING", province_min_ratings=4, role="central")
    app = create_app(settings)
    serve(app, "127.0.0.1", port, threads=40)


if __name__ == "__main__":
    main()
