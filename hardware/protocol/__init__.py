"""The framed serial protocol of LED displays and keypads (docs/protocol.md): pure codecs, bytes in, bytes out."""
from hardware.protocol.crc import crc16_ccitt
from hardware.protocol.framing import Frame, FrameDecoder, encode_frame

__all__ = ["Frame", "FrameDecoder", "crc16_ccitt", "encode_frame"]
