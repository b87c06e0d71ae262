"""hardware/ never imports Flask or the server: it must run on a PC that only has the bridge."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
HARDWARE = PROJECT / "hardware"
FORBIDDEN_TOP_LEVEL = {"flask", "flask_socketio", "flask_babel", "server", "kiosk", "display", "sqlalchemy"}


def hardware_modules() -> list[str]:
    modules = []
    for path in sorted(HARDWARE.rglob("*.py")):
        parts = list(path.relative_to(PROJECT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules.append(".".join(parts))
    return modules


def test_no_hardware_source_file_imports_flask_or_the_server() -> None:
    offenders = []
    for path in HARDWARE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(PROJECT)}: {name}" for name in names
                          if name.split(".")[0] in FORBIDDEN_TOP_LEVEL]
    assert offenders == []


def test_importing_every_hardware_module_loads_neither_flask_nor_the_server() -> None:
    script = (
        "import importlib, json, sys\n"
        f"for name in {hardware_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(FORBIDDEN_TOP_LEVEL)!r})))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
