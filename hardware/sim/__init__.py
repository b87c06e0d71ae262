"""Simulated serial devices on pty pairs, for the demo (`python -m hardware.sim`) and the tests."""
from hardware.sim.devices import (
    SimulatedCallKeypad,
    SimulatedDevice,
    SimulatedLedDisplay,
    SimulatedPrinter,
    SimulatedRatingKeypad,
)

__all__ = [
    "SimulatedCallKeypad",
    "SimulatedDevice",
    "SimulatedLedDisplay",
    "SimulatedPrinter",
    "SimulatedRatingKeypad",
]
