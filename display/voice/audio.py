"""Small WAV utilities for voice clips: read, trim silence, normalise, fade, synthesise the chime.

Standard library only (wave + array), so the default pack builds offline with nothing but espeak-ng.
Clips are 16-bit PCM mono; trimming keeps concatenated words gapless on the hall display.
"""

from __future__ import annotations

import array
import logging
import math
import sys
import wave
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

FULL_SCALE = 32767
# Below 1 % of full scale (-40 dBFS) a sample counts as silence when trimming.
SILENCE_THRESHOLD = 0.01
# Kept around the voiced part so consonant onsets and releases are not clipped.
TRIM_MARGIN_S = 0.010
FADE_S = 0.005


class UnreadableAudio(ValueError):
    """A clip file is not the audio it claims to be (not WAV PCM 16-bit mono, truncated, empty)."""


@dataclass(frozen=True)
class Clip:
    """Mono 16-bit samples and their rate."""

    samples: array.array
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class WavInfo:
    """Header facts of a WAV file, for validation and reports."""

    channels: int
    sample_width: int
    sample_rate: int
    frames: int

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def wav_info(path: Path) -> WavInfo:
    """Read a WAV header; raises UnreadableAudio when the file is not a PCM WAV."""
    try:
        with wave.open(str(path), "rb") as wav:
            return WavInfo(wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes())
    except (wave.Error, EOFError, OSError) as error:
        reason = str(error) or "file too short"
        raise UnreadableAudio(f"{path.name}: not a readable PCM WAV file ({reason})") from error


def read_wav(path: Path) -> Clip:
    """Load a 16-bit mono WAV into samples; other layouts are refused rather than silently converted."""
    info = wav_info(path)
    if info.channels != 1 or info.sample_width != 2:
        raise UnreadableAudio(
            f"{path.name}: {info.channels} channel(s), {8 * info.sample_width}-bit; clips must be 16-bit mono"
        )
    with wave.open(str(path), "rb") as wav:
        data = wav.readframes(info.frames)
    samples = array.array("h")
    samples.frombytes(data[: len(data) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return Clip(samples, info.sample_rate)


def write_wav(path: Path, clip: Clip) -> None:
    """Write samples as a 16-bit mono PCM WAV."""
    samples = array.array("h", clip.samples)
    if sys.byteorder == "big":
        samples.byteswap()
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(clip.sample_rate)
        wav.writeframes(samples.tobytes())


def edge_silence_s(clip: Clip, threshold: float = SILENCE_THRESHOLD) -> tuple[float, float]:
    """Seconds of near-silence (|sample| below threshold × full scale) at the start and at the end."""
    limit = threshold * FULL_SCALE
    loud = [i for i, sample in enumerate(clip.samples) if abs(sample) > limit]
    if not loud:
        return clip.duration_s, clip.duration_s
    return loud[0] / clip.sample_rate, (len(clip.samples) - 1 - loud[-1]) / clip.sample_rate


def trim_silence(clip: Clip, threshold: float = SILENCE_THRESHOLD, margin_s: float = TRIM_MARGIN_S) -> Clip:
    """Cut leading and trailing near-silence, keeping a short margin, so clips join without gaps."""
    limit = threshold * FULL_SCALE
    loud = [i for i, sample in enumerate(clip.samples) if abs(sample) > limit]
    if not loud:
        raise UnreadableAudio("clip is silent: nothing above the silence threshold")
    margin = int(margin_s * clip.sample_rate)
    start = max(0, loud[0] - margin)
    end = min(len(clip.samples), loud[-1] + 1 + margin)
    return Clip(clip.samples[start:end], clip.sample_rate)


def normalise_peak(clip: Clip, peak_dbfs: float = -3.0) -> Clip:
    """Scale so the loudest sample sits at `peak_dbfs`; evens out loudness between synthesised words."""
    peak = max((abs(s) for s in clip.samples), default=0)
    if peak == 0:
        return clip
    gain = FULL_SCALE * 10 ** (peak_dbfs / 20) / peak
    return Clip(array.array("h", (_clamp(s * gain) for s in clip.samples)), clip.sample_rate)


def fade(clip: Clip, fade_s: float = FADE_S) -> Clip:
    """Short linear fade in and out: a cut in mid-waveform would click when clips are joined."""
    samples = array.array("h", clip.samples)
    length = min(int(fade_s * clip.sample_rate), len(samples) // 2)
    for i in range(length):
        factor = i / length
        samples[i] = int(samples[i] * factor)
        samples[-1 - i] = int(samples[-1 - i] * factor)
    return Clip(samples, clip.sample_rate)


def chime(sample_rate: int = 22050, peak_dbfs: float = -6.0) -> Clip:
    """A two-tone "ding-dong" (E5 then C5, bell-like decay), about 1.1 s, made here so no asset is needed."""
    notes = ((0.0, 659.25), (0.42, 523.25))
    length_s = 1.1
    total = int(length_s * sample_rate)
    buffer = [0.0] * total
    for onset_s, frequency in notes:
        onset = int(onset_s * sample_rate)
        for n in range(total - onset):
            t = n / sample_rate
            envelope = min(1.0, t / 0.004) * math.exp(-t / 0.28)
            tone = (
                math.sin(2 * math.pi * frequency * t)
                + 0.35 * math.sin(2 * math.pi * 2 * frequency * t) * math.exp(-t / 0.12)
                + 0.12 * math.sin(2 * math.pi * 3 * frequency * t) * math.exp(-t / 0.08)
            )
            buffer[onset + n] += envelope * tone
    peak = max(abs(v) for v in buffer)
    scale = FULL_SCALE * 10 ** (peak_dbfs / 20) / peak
    samples = array.array("h", (_clamp(v * scale) for v in buffer))
    return fade(Clip(samples, sample_rate), fade_s=0.04)


def silence(duration_s: float, sample_rate: int = 22050) -> Clip:
    """Digital silence, used as the pause between repeats of a call."""
    return Clip(array.array("h", bytes(2 * int(duration_s * sample_rate))), sample_rate)


def _clamp(value: float) -> int:
    return max(-FULL_SCALE - 1, min(FULL_SCALE, int(round(value))))
