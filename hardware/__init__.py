"""Hàng Chờ hardware: serial transports, codecs, device drivers, the ticket renderer, simulators and the bridge.

This package never imports Flask or the server: it talks to the server only over the network
(a Socket.IO client in `hardware.bridge`).
"""
