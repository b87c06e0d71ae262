"""Device roles and their serial settings: `ROLE=URL,baud=9600,mode=raw` arguments and device-map files.

A printer's `printer_status` (escpos, none or auto) says whether to ask it for real-time status
(hardware/drivers/printer.py). A role names what a device does and for whom: `printer:<kiosk id>`, `led:<counter id>`,
`rating-keypad:<counter id>`, `call-keypad:<counter id>`. The simulator writes a device map; the bridge
reads it (docs/bridge.md).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

KINDS = ("printer", "led", "rating-keypad", "call-keypad")
KEYPAD_KINDS = ("rating-keypad", "call-keypad")
KEYPAD_MODES = ("framed", "raw")
PAPER_WIDTHS_MM = (58, 80)
DEFAULT_BAUD = 9600
INTEGER_OPTIONS = ("baud", "address", "paper_width_mm", "brightness")
TEXT_OPTIONS = ("mode", "keymap", "printer_status")
PRINTER_STATUS_MODES = ("escpos", "none", "auto")


class DeviceConfigError(ValueError):
    """A role, device argument or device map that cannot be understood."""


@dataclass(frozen=True)
class DeviceConfig:
    """One device the bridge drives (or the simulator presents)."""

    role: str
    url: str
    baud: int = DEFAULT_BAUD
    mode: str = "framed"
    address: int = 1
    paper_width_mm: int = 80
    keymap: str = ""
    brightness: int | None = None
    printer_status: str = "auto"
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """printer, led, rating-keypad or call-keypad."""
        return parse_role(self.role)[0]

    @property
    def number(self) -> int:
        """The kiosk id (printers) or counter id (LEDs, keypads) in the role."""
        return parse_role(self.role)[1]


def parse_role(role: str) -> tuple[str, int]:
    """("rating-keypad", 1) from "rating-keypad:1"; DeviceConfigError for anything else."""
    kind, separator, number = role.partition(":")
    if not separator or kind not in KINDS or not number.isdigit() or int(number) <= 0:
        raise DeviceConfigError(f"device role {role!r} is not one of {', '.join(k + ':<id>' for k in KINDS)}")
    return kind, int(number)


def _apply_options(config: DeviceConfig, options: dict[str, Any]) -> DeviceConfig:
    changes: dict[str, Any] = {}
    extra = dict(config.extra)
    for key, value in options.items():
        if key in ("role", "url"):
            continue
        if key in INTEGER_OPTIONS:
            try:
                changes[key] = int(value)
            except (TypeError, ValueError) as error:
                raise DeviceConfigError(f"{config.role}: {key}={value!r} is not a whole number") from error
        elif key in TEXT_OPTIONS:
            changes[key] = str(value)
        else:
            extra[key] = str(value)
    config = replace(config, **changes, extra=extra)
    validate(config)
    return config


def validate(config: DeviceConfig) -> None:
    """DeviceConfigError when an option is out of range for the device's kind."""
    kind, _ = parse_role(config.role)
    if not config.url:
        raise DeviceConfigError(f"{config.role}: no port URL")
    if config.baud <= 0:
        raise DeviceConfigError(f"{config.role}: baud must be positive")
    if config.mode not in KEYPAD_MODES:
        raise DeviceConfigError(f"{config.role}: mode must be framed or raw, not {config.mode!r}")
    if kind not in KEYPAD_KINDS and config.mode != "framed":
        raise DeviceConfigError(f"{config.role}: only keypads have a raw mode")
    if not 1 <= config.address <= 0xF7:
        raise DeviceConfigError(f"{config.role}: address must be 1..247")
    if config.printer_status not in PRINTER_STATUS_MODES:
        raise DeviceConfigError(f"{config.role}: printer_status must be escpos, none or auto, "
                                f"not {config.printer_status!r}")
    if config.paper_width_mm not in PAPER_WIDTHS_MM:
        raise DeviceConfigError(f"{config.role}: paper_width_mm must be 58 or 80")


def _base_config(role: str, url: str, default_baud: int, default_keypad_mode: str,
                 default_printer_status: str) -> DeviceConfig:
    kind, _ = parse_role(role)
    return DeviceConfig(role=role, url=url, baud=default_baud,
                        mode=default_keypad_mode if kind in KEYPAD_KINDS else "framed",
                        printer_status=default_printer_status)


def parse_device_argument(argument: str, default_baud: int = DEFAULT_BAUD, default_keypad_mode: str = "framed",
                          default_printer_status: str = "auto") -> DeviceConfig:
    """Read `ROLE=URL[,key=value...]`, e.g. `rating-keypad:1=/dev/ttyUSB1,baud=9600,mode=raw`."""
    role, separator, rest = argument.partition("=")
    if not separator or not rest:
        raise DeviceConfigError(f"device {argument!r} is not ROLE=URL")
    url, *option_parts = rest.split(",")
    options: dict[str, str] = {}
    for part in option_parts:
        key, equals, value = part.partition("=")
        if not equals:
            raise DeviceConfigError(f"device option {part!r} of {role} is not key=value")
        options[key.strip()] = value.strip()
    base = _base_config(role.strip(), url.strip(), default_baud, default_keypad_mode, default_printer_status)
    return _apply_options(base, options)


def load_device_map(path: Path | str, default_baud: int = DEFAULT_BAUD, default_keypad_mode: str = "framed",
                    default_printer_status: str = "auto") -> list[DeviceConfig]:
    """Devices of a JSON device map: {"devices": [{"role": "...", "url": "...", "baud": 9600, ...}]}."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise DeviceConfigError(f"device map {path} cannot be read: {error}") from error
    entries = document.get("devices") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise DeviceConfigError(f"device map {path} has no \"devices\" list")
    devices = []
    for entry in entries:
        if not isinstance(entry, dict) or "role" not in entry or "url" not in entry:
            raise DeviceConfigError(f"device map entry {entry!r} needs a role and a url")
        base = _base_config(str(entry["role"]), str(entry["url"]), default_baud, default_keypad_mode,
                            default_printer_status)
        devices.append(_apply_options(base, entry))
    return devices


def write_device_map(path: Path | str, devices: list[DeviceConfig]) -> Path:
    """Write a device map atomically (a reader never sees half a file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    entries = []
    for device in devices:
        entry = {key: value for key, value in asdict(device).items() if key not in ("extra",) and value is not None}
        if not entry.get("keymap"):
            entry.pop("keymap", None)
        if device.kind not in KEYPAD_KINDS:
            entry.pop("mode", None)
        if device.kind != "printer":
            entry.pop("paper_width_mm", None)
            entry.pop("printer_status", None)
        elif device.printer_status == "auto":
            entry.pop("printer_status")  # the default: the bridge's --printer-status decides
        entry.update(device.extra)
        entries.append(entry)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps({"devices": entries}, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path
