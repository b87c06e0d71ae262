"""Shared helpers of the benchmarks: a real server process on a fresh SQLite database, and statistics."""
from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class BenchServer:
    url: str
    process: subprocess.Popen
    workdir: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_server(database_url: str | None = None, workdir: Path | None = None, log_path: Path | None = None,
                 **env_overrides: str) -> BenchServer:
    """`python -m server serve` with the demo centre seeded (if the database is empty), on a free port;
    its output goes to `log_path` when given."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="hangcho-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "HANGCHO_DATABASE_URL": database_url or f"sqlite:///{workdir / 'bench.sqlite3'}",
        "HANGCHO_PORT": str(port),
        "HANGCHO_SECRET_KEY": "bench",
        "HANGCHO_DEMO": "1",
        "HANGCHO_LOG_LEVEL": "WARNING",
        **env_overrides,
    }
    subprocess.run([sys.executable, "-m", "server", "seed-demo", "--if-empty"], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True)
    output = log_path.open("ab") if log_path else subprocess.DEVNULL
    process = subprocess.Popen([sys.executable, "-m", "server", "serve"], cwd=PROJECT_ROOT, env=env,
                               stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/api/v1/health", timeout=1).ok:
                return BenchServer(url, process, workdir)
        except requests.RequestException:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("server did not start")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def rss_mb(pid: int) -> float:
    import psutil

    process = psutil.Process(pid)
    return sum(p.memory_info().rss for p in [process, *process.children(recursive=True)]) / 1e6
