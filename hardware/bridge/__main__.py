"""`python -m hardware.bridge`: connect serial devices to a Hàng Chờ server.

    python -m hardware.bridge --server http://127.0.0.1:5000 --key BRIDGE_KEY \
        --device printer:1=/dev/ttyUSB0,paper_width_mm=58 --device led:2=socket://10.0.0.7:4001 \
        --device rating-keypad:1=/dev/ttyUSB1,mode=raw [--baud 9600] [--keypad-mode framed|raw] \
        --device printer:2=/dev/usb/lp0 --device printer:3=socket://10.0.0.9:9100,printer_status=escpos \
        [--printer-status escpos|none|auto] [--device-map var/devices.json]

The key may also come from HANGCHO_BRIDGE_KEY, the server from HANGCHO_BRIDGE_SERVER. Stops cleanly on
SIGTERM or SIGINT.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from types import FrameType

from hardware.bridge.bridge import Bridge, BridgeConfig
from hardware.device_config import PRINTER_STATUS_MODES, DeviceConfigError, load_device_map, parse_device_argument
from hardware.errors import FontNotFound

logger = logging.getLogger("hardware.bridge")


def build_parser() -> argparse.ArgumentParser:
    """The command line of the bridge."""
    parser = argparse.ArgumentParser(prog="python -m hardware.bridge", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default=os.environ.get("HANGCHO_BRIDGE_SERVER", "http://127.0.0.1:5000"),
                        help="the server's URL (default %(default)s)")
    parser.add_argument("--key", default=os.environ.get("HANGCHO_BRIDGE_KEY", ""),
                        help="the bridge's device key (or HANGCHO_BRIDGE_KEY)")
    parser.add_argument("--device", action="append", default=[], metavar="ROLE=URL[,baud=N,mode=raw,...]",
                        help="a device: printer:<kiosk>, led:<counter>, rating-keypad:<counter>, call-keypad:<counter>")
    parser.add_argument("--device-map", metavar="FILE", help="a JSON device map (as written by hardware.sim)")
    parser.add_argument("--baud", type=int, default=9600, help="default baud rate (default %(default)s)")
    parser.add_argument("--keypad-mode", choices=("framed", "raw"), default="framed",
                        help="default keypad mode (default %(default)s)")
    parser.add_argument("--printer-status", choices=PRINTER_STATUS_MODES, default="auto",
                        help="default for printers: ask real-time status (escpos), never (none), or try once "
                             "and fall back to none when the printer stays silent (auto, the default)")
    parser.add_argument("--font", help="TrueType font for Vietnamese ticket lines (default DejaVu Sans)")
    parser.add_argument("--bold-font", help="bold TrueType font for ticket headings (default DejaVu Sans Bold)")
    parser.add_argument("--log-level", default=os.environ.get("HANGCHO_LOG_LEVEL", "INFO"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line, run the bridge until a signal, return the exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=arguments.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)  # python-escpos calls logging.basicConfig() when imported
    if not arguments.key:
        parser.error("a bridge key is needed: --key or HANGCHO_BRIDGE_KEY")
    try:
        devices = []
        if arguments.device_map:
            devices += load_device_map(arguments.device_map, arguments.baud, arguments.keypad_mode,
                                       arguments.printer_status)
        devices += [parse_device_argument(device, arguments.baud, arguments.keypad_mode, arguments.printer_status)
                    for device in arguments.device]
        if not devices:
            parser.error("no devices: give --device ROLE=URL or --device-map FILE")
        bridge = Bridge(BridgeConfig(server_url=arguments.server, key=arguments.key, devices=devices,
                                     font_path=arguments.font, bold_font_path=arguments.bold_font))
    except (DeviceConfigError, FontNotFound) as error:
        print(f"hardware.bridge: {error}", file=sys.stderr)
        return 2

    def request_stop(signal_number: int, frame: FrameType | None) -> None:
        logger.info("signal %d received", signal_number)
        bridge.stop()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)
    for device in devices:
        details = {"printer": f"status {device.printer_status}"}.get(device.kind, device.mode)
        logger.info("device %s on %s (%d baud, %s)", device.role, device.url, device.baud, details)
    bridge.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
