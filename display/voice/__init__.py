"""Voice calls for the hall display: Vietnamese number reading, clip sequences and voice packs.

The server calls `announcement_payload(...)` and puts the result in `ticket_called` / `ticket_recalled`;
the display plays the listed clips of the pack back to back. See docs/voice-pack.md.
"""

from display.voice.pack import (
    PackClip,
    PackReport,
    VoicePack,
    VoicePackError,
    VoicePackIncomplete,
    VoicePackInvalid,
    default_pack_dir,
    inspect_pack,
    load_pack,
)
from display.voice.reading import (
    DEFAULT_WORDING,
    InvalidVoiceSettings,
    UnreadableNumber,
    VoiceSettings,
    announcement,
    announcement_payload,
    cardinal_tokens,
    clip_text,
    counter_tokens,
    digit_tokens,
    number_tokens,
    phrase_clip_id,
    required_clips,
    tokens_text,
)

__all__ = [
    "DEFAULT_WORDING",
    "InvalidVoiceSettings",
    "PackClip",
    "PackReport",
    "UnreadableNumber",
    "VoicePack",
    "VoicePackError",
    "VoicePackIncomplete",
    "VoicePackInvalid",
    "VoiceSettings",
    "announcement",
    "announcement_payload",
    "cardinal_tokens",
    "clip_text",
    "counter_tokens",
    "default_pack_dir",
    "digit_tokens",
    "inspect_pack",
    "load_pack",
    "number_tokens",
    "phrase_clip_id",
    "required_clips",
    "tokens_text",
]
