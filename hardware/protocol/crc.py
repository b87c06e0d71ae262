"""CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor) from the standard library.

`binascii.crc_hqx` is the table-driven CCITT CRC written in C; with the initial value 0xFFFF it is
exactly CRC-16/CCITT-FALSE (check value of b"123456789" is 0x29B1).
"""
from __future__ import annotations

import binascii

CRC_INITIAL_VALUE = 0xFFFF


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE of `data` as an integer 0..0xFFFF."""
    return binascii.crc_hqx(data, CRC_INITIAL_VALUE)
