"""The hardware bridge: serial devices on one side, the server's Socket.IO on the other (docs/bridge.md)."""
