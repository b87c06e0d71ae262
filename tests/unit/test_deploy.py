"""deploy/: the screen launcher starts Chromium in kiosk mode with sound and no sleep, and the systemd
units of the server, the bridge and a screen are valid and start what exists in the project."""
from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from hardware.bridge.__main__ import build_parser
from server.settings import PROJECT_ROOT

DEPLOY = PROJECT_ROOT / "deploy"
LAUNCHER = DEPLOY / "hangcho-screen"
SYSTEM_UNITS = ("hangcho-server.service", "hangcho-bridge.service")


def fake_program(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text("#!/usr/bin/env bash\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def fake_desktop(tmp_path: Path) -> dict[str, object]:
    """A fake chromium, systemd-inhibit and xset that record their command lines, first on PATH."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"
    fake_program(bin_dir, "chromium", f'printf "%s\\n" chromium "$@" > {calls}/chromium\n')
    fake_program(bin_dir, "systemd-inhibit", f'printf "%s\\n" "$@" > {calls}/inhibit\n'
                 'while [ "${1#--}" != "$1" ]; do shift; done\nexec "$@"\n')
    fake_program(bin_dir, "xset", f'printf "%s\\n" "$@" > {calls}/xset\n')
    calls.mkdir()
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path / "home"), "DISPLAY": ":0"}
    return {"env": env, "calls": calls}


def run_launcher(fake_desktop: dict[str, object], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LAUNCHER), *arguments], env=fake_desktop["env"], capture_output=True, text=True,
                          timeout=30, check=False)


def recorded(fake_desktop: dict[str, object], program: str) -> list[str]:
    return (Path(str(fake_desktop["calls"])) / program).read_text().splitlines()


def test_launcher_starts_chromium_in_kiosk_mode_with_sound_allowed_for_the_screen_and_its_key(
        fake_desktop: dict[str, object]) -> None:
    result = run_launcher(fake_desktop, "http://10.0.0.2:5000/display/hall", "hc_hall_key")
    assert result.returncode == 0, result.stderr
    argv = recorded(fake_desktop, "chromium")
    assert argv[0] == "chromium" and argv[-1] == "http://10.0.0.2:5000/display/hall?key=hc_hall_key"
    for flag in ("--kiosk", "--autoplay-policy=no-user-gesture-required", "--noerrdialogs",
                 "--disable-session-crashed-bubble", "--disable-background-timer-throttling"):
        assert flag in argv, flag
    profile = next(arg for arg in argv if arg.startswith("--user-data-dir="))
    assert profile.endswith("/hangcho-screen/display-hall"), "one browser profile per screen: keys never mix"


def test_launcher_keeps_the_screen_awake(fake_desktop: dict[str, object]) -> None:
    assert run_launcher(fake_desktop, "http://10.0.0.2:5000/kiosk", "k").returncode == 0
    inhibit = recorded(fake_desktop, "inhibit")
    assert "--what=idle:sleep" in inhibit and "--mode=block" in inhibit
    assert recorded(fake_desktop, "xset") == ["s", "off", "s", "noblank", "-dpms"]


def test_launcher_appends_the_key_to_a_url_that_has_a_query_and_can_show_its_command(
        fake_desktop: dict[str, object]) -> None:
    result = run_launcher(fake_desktop, "--print-command", "http://10.0.0.2:5000/display/counter/3?voice=1", "k3")
    assert result.returncode == 0, result.stderr
    words = shlex.split(result.stdout)
    assert words[-1] == "http://10.0.0.2:5000/display/counter/3?voice=1&key=k3"
    assert not (Path(str(fake_desktop["calls"])) / "chromium").exists(), "--print-command starts nothing"


def test_launcher_refuses_what_is_not_a_screen_url(fake_desktop: dict[str, object]) -> None:
    assert run_launcher(fake_desktop).returncode == 2
    refused = run_launcher(fake_desktop, "display/hall")
    assert refused.returncode == 2 and "not an http(s) URL" in refused.stderr


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(DEPLOY / name, encoding="utf-8")
    return parser


@pytest.mark.parametrize("name", SYSTEM_UNITS)
def test_system_units_pass_systemd_analyze_verify(name: str, tmp_path: Path) -> None:
    """Verified as installed: /opt/hangcho stands for this checkout (systemd checks the programs exist)."""
    copy = tmp_path / name
    copy.write_text((DEPLOY / name).read_text().replace("/opt/hangcho", str(PROJECT_ROOT)))
    analyze = shutil.which("systemd-analyze")
    if analyze is None:  # no systemd on this machine: the units must still parse and name what exists
        assert unit(name).sections() == ["Unit", "Service", "Install"]
        return
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True, timeout=60, check=False,
                            env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"})
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr


def test_units_start_the_project_commands_with_their_real_options() -> None:
    server = unit("hangcho-server.service")["Service"]
    assert server["ExecStart"].split()[1:] == ["-m", "server", "serve"]
    assert server["ExecStartPre"].split()[1:] == ["-m", "server", "migrate"]
    bridge = unit("hangcho-bridge.service")["Service"]
    bridge_arguments = bridge["ExecStart"].split()[3:]
    assert build_parser().parse_args(["--key", "k", *bridge_arguments]).device_map == "/etc/hangcho/devices.json"
    assert set(bridge["SupplementaryGroups"].split()) == {"lp", "dialout"}, "usblp printers and serial ports"
    screen = unit("hangcho-screen.service")
    assert screen["Service"]["ExecStart"].split()[0] == "/opt/hangcho/deploy/hangcho-screen"
    assert screen["Install"]["WantedBy"] == "graphical-session.target"
    for name in (*SYSTEM_UNITS, "hangcho-screen.service"):
        assert unit(name)["Service"]["Restart"] == "always", name
