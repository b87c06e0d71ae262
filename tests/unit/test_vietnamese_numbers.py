"""Specification of how Hàng Chờ reads ticket and counter numbers aloud in Vietnamese.

The expected readings are written out by hand from Vietnamese counting rules (DOMAIN.md, "Calling
citizens by voice"): mười for 10–19 and mươi for 20–90; mốt for 1 after mươi but một in 11; tư for 4
after mươi but bốn in 14; lăm for 5 after mười/mươi but năm after linh; "không trăm" and "linh" for
empty hundreds and tens inside a larger number. Southern speech says lẻ for linh and ngàn for nghìn.
"""

from __future__ import annotations

import pytest

from display.voice import (
    InvalidVoiceSettings,
    UnreadableNumber,
    VoiceSettings,
    announcement,
    announcement_payload,
    cardinal_tokens,
    counter_tokens,
    number_tokens,
    required_clips,
    tokens_text,
)

NORTHERN = VoiceSettings(variant="northern")
SOUTHERN = VoiceSettings(variant="southern")
DIGITS = VoiceSettings(number_style="digits")

# number → Northern reading. Southern readings are given separately below, never derived.
NORTHERN_READINGS: list[tuple[str, str]] = [
    ("0", "không"),
    ("1", "một"),
    ("2", "hai"),
    ("3", "ba"),
    ("4", "bốn"),
    ("5", "năm"),
    ("6", "sáu"),
    ("7", "bảy"),
    ("8", "tám"),
    ("9", "chín"),
    ("10", "mười"),
    ("11", "mười một"),
    ("12", "mười hai"),
    ("13", "mười ba"),
    ("14", "mười bốn"),
    ("15", "mười lăm"),
    ("16", "mười sáu"),
    ("17", "mười bảy"),
    ("18", "mười tám"),
    ("19", "mười chín"),
    ("20", "hai mươi"),
    ("21", "hai mươi mốt"),
    ("24", "hai mươi tư"),
    ("25", "hai mươi lăm"),
    ("30", "ba mươi"),
    ("31", "ba mươi mốt"),
    ("44", "bốn mươi tư"),
    ("55", "năm mươi lăm"),
    ("91", "chín mươi mốt"),
    ("99", "chín mươi chín"),
    ("100", "một trăm"),
    ("101", "một trăm linh một"),
    ("104", "một trăm linh bốn"),
    ("105", "một trăm linh năm"),
    ("110", "một trăm mười"),
    ("111", "một trăm mười một"),
    ("115", "một trăm mười lăm"),
    ("121", "một trăm hai mươi mốt"),
    ("205", "hai trăm linh năm"),
    ("999", "chín trăm chín mươi chín"),
    ("1000", "một nghìn"),
    ("1001", "một nghìn không trăm linh một"),
    ("1005", "một nghìn không trăm linh năm"),
    ("1010", "một nghìn không trăm mười"),
    ("1015", "một nghìn không trăm mười lăm"),
    ("1021", "một nghìn không trăm hai mươi mốt"),
    ("1024", "một nghìn không trăm hai mươi tư"),
    ("1100", "một nghìn một trăm"),
    ("1105", "một nghìn một trăm linh năm"),
    ("1234", "một nghìn hai trăm ba mươi tư"),
    ("2020", "hai nghìn không trăm hai mươi"),
    ("5555", "năm nghìn năm trăm năm mươi lăm"),
    ("9999", "chín nghìn chín trăm chín mươi chín"),
    ("10000", "mười nghìn"),
    ("10005", "mười nghìn không trăm linh năm"),
    ("15000", "mười lăm nghìn"),
    ("21000", "hai mươi mốt nghìn"),
    ("100000", "một trăm nghìn"),
    ("105000", "một trăm linh năm nghìn"),
    ("999999", "chín trăm chín mươi chín nghìn chín trăm chín mươi chín"),
]

SOUTHERN_READINGS: list[tuple[str, str]] = [
    ("0", "không"),
    ("5", "năm"),
    ("14", "mười bốn"),
    ("15", "mười lăm"),
    ("21", "hai mươi mốt"),
    ("24", "hai mươi tư"),
    ("25", "hai mươi lăm"),
    ("101", "một trăm lẻ một"),
    ("105", "một trăm lẻ năm"),
    ("110", "một trăm mười"),
    ("1000", "một ngàn"),
    ("1001", "một ngàn không trăm lẻ một"),
    ("1005", "một ngàn không trăm lẻ năm"),
    ("1010", "một ngàn không trăm mười"),
    ("1015", "một ngàn không trăm mười lăm"),
    ("1021", "một ngàn không trăm hai mươi mốt"),
    ("1100", "một ngàn một trăm"),
    ("2020", "hai ngàn không trăm hai mươi"),
    ("9999", "chín ngàn chín trăm chín mươi chín"),
    ("10005", "mười ngàn không trăm lẻ năm"),
]

# Zero-padded or prefixed numbers: letters by name, then every digit, in either style and variant.
CHARACTER_READINGS: list[tuple[str, str]] = [
    ("A005", "A không không năm"),
    ("A105", "A một không năm"),
    ("A-12", "A một hai"),
    ("a-12", "A một hai"),
    ("B 021", "B không hai một"),
    ("0042", "không không bốn hai"),
    ("007", "không không bảy"),
    ("00", "không không"),
    ("0005", "không không không năm"),
    ("AB15", "A B một năm"),
    ("C1.05", "C một không năm"),
]

DIGIT_READINGS: list[tuple[str, str]] = [
    ("1005", "một không không năm"),
    ("0", "không"),
    ("10", "một không"),
    ("15", "một năm"),
    ("21", "hai một"),
    ("24", "hai bốn"),
    ("2020", "hai không hai không"),
    ("9999", "chín chín chín chín"),
    ("A005", "A không không năm"),
    ("0042", "không không bốn hai"),
]


@pytest.mark.parametrize(("number", "reading"), NORTHERN_READINGS)
def test_northern_cardinal_reading(number: str, reading: str) -> None:
    assert tokens_text(number_tokens(number, NORTHERN)) == reading


@pytest.mark.parametrize(("number", "reading"), SOUTHERN_READINGS)
def test_southern_reading_says_le_and_ngan(number: str, reading: str) -> None:
    assert tokens_text(number_tokens(number, SOUTHERN)) == reading


@pytest.mark.parametrize(("number", "reading"), CHARACTER_READINGS)
@pytest.mark.parametrize("settings", [NORTHERN, SOUTHERN, DIGITS], ids=["northern", "southern", "digits"])
def test_padded_or_prefixed_number_is_read_character_by_character(
    number: str, reading: str, settings: VoiceSettings
) -> None:
    assert tokens_text(number_tokens(number, settings)) == reading


@pytest.mark.parametrize(("number", "reading"), DIGIT_READINGS)
def test_digit_style_reads_every_digit(number: str, reading: str) -> None:
    assert tokens_text(number_tokens(number, DIGITS)) == reading


def test_1005_uses_the_documented_clip_ids() -> None:
    assert number_tokens("1005") == ["mot", "nghin", "khong", "tram", "linh", "nam"]
    assert number_tokens("1005", SOUTHERN) == ["mot", "ngan", "khong", "tram", "le", "nam"]


def test_the_three_special_unit_words_have_their_own_clips() -> None:
    assert number_tokens("21") == ["hai", "muoi", "mot_sac"]
    assert number_tokens("24") == ["hai", "muoi", "tu"]
    assert number_tokens("15") == ["muoi_huyen", "lam"]
    assert number_tokens("105") == ["mot", "tram", "linh", "nam"]


def test_zeros_of_a_padded_number_are_never_dropped() -> None:
    assert number_tokens("A005") == ["letter_a", "khong", "khong", "nam"]
    assert number_tokens("0042").count("khong") == 2


def test_surrounding_spaces_do_not_change_the_reading() -> None:
    assert number_tokens(" 1005 ") == number_tokens("1005")


def test_plain_number_too_long_for_a_cardinal_is_read_digit_by_digit() -> None:
    assert tokens_text(number_tokens("1000000")) == "một không không không không không không"


@pytest.mark.parametrize("number", ["", "  ", "--", "#12", "Đ12", "1,5"])
def test_unreadable_ticket_number_is_refused(number: str) -> None:
    with pytest.raises(UnreadableNumber):
        number_tokens(number)


@pytest.mark.parametrize("value", [-1, 1_000_000, 2.5, True])
def test_cardinal_reading_refuses_values_outside_its_range(value: object) -> None:
    with pytest.raises(UnreadableNumber):
        cardinal_tokens(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("counter", "reading"),
    [(1, "một"), (3, "ba"), ("3", "ba"), ("03", "ba"), (10, "mười"), (12, "mười hai"), (15, "mười lăm"),
     (21, "hai mươi mốt"), (24, "hai mươi tư"), ("2B", "hai B")],
)
def test_counter_number_is_read_as_a_cardinal(counter: int | str, reading: str) -> None:
    assert tokens_text(counter_tokens(counter)) == reading


# --- the whole call -------------------------------------------------------------------------------------

MOI = "phrase_moi_cong_dan_co_so"
DEN = "phrase_den_quay_so"


def test_announcement_of_1005_at_counter_3() -> None:
    assert announcement("1005", 3) == [
        "chime", MOI, "mot", "nghin", "khong", "tram", "linh", "nam", DEN, "ba",
    ]


def test_announcement_of_prefixed_number_at_counter_12() -> None:
    assert announcement("A005", 12) == [
        "chime", MOI, "letter_a", "khong", "khong", "nam", DEN, "muoi_huyen", "hai",
    ]


def test_southern_announcement_uses_southern_words_for_number_and_counter() -> None:
    assert announcement("1005", 1005, SOUTHERN) == [
        "chime", MOI, "mot", "ngan", "khong", "tram", "le", "nam",
        DEN, "mot", "ngan", "khong", "tram", "le", "nam",
    ]


def test_digit_style_still_reads_the_counter_as_a_cardinal() -> None:
    assert announcement("1005", 15, DIGITS) == [
        "chime", MOI, "mot", "khong", "khong", "nam", DEN, "muoi_huyen", "lam",
    ]


def test_announcement_without_chime_starts_with_the_phrase() -> None:
    assert announcement("7", 2, VoiceSettings(chime=False)) == [MOI, "bay", DEN, "hai"]


def test_repeat_says_the_whole_call_again_after_a_pause_with_one_chime() -> None:
    call = [MOI, "hai", "muoi", "mot_sac", DEN, "bon"]
    assert announcement("21", 4, VoiceSettings(repeat=2)) == ["chime", *call, "pause", *call]
    assert announcement("21", 4, VoiceSettings(repeat=3)).count("pause") == 2


def test_changed_wording_changes_the_phrase_clips() -> None:
    settings = VoiceSettings(wording="Xin mời số {number}, tới quầy {counter}.")
    assert announcement("5", 1, settings) == ["chime", "phrase_xin_moi_so", "nam", "phrase_toi_quay", "mot"]
    assert settings.phrases() == {"phrase_xin_moi_so": "Xin mời số", "phrase_toi_quay": "tới quầy"}


def test_wording_may_name_the_counter_first() -> None:
    settings = VoiceSettings(wording="Quầy {counter} mời số {number}", chime=False)
    assert announcement("15", 2, settings) == ["phrase_quay", "hai", "phrase_moi_so", "muoi_huyen", "lam"]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"variant": "central"},
        {"number_style": "words"},
        {"repeat": 0},
        {"repeat": 6},
        {"wording": "Mời số {number}"},
        {"wording": "{number} {number} {counter}"},
        {"wording": "Mời {ticket} đến {counter} {number}"},
        {"letters": "Đ"},
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidVoiceSettings):
        VoiceSettings(**kwargs)  # type: ignore[arg-type]


def test_payload_for_the_hall_display_has_clips_and_caption() -> None:
    payload = announcement_payload("1005", 3, VoiceSettings(repeat=2))
    assert payload["text"] == "Mời công dân có số một nghìn không trăm linh năm đến quầy số ba"
    assert payload["clips"] == announcement("1005", 3, VoiceSettings(repeat=2))
    assert payload["pack_url"] == "/display/voice/packs/default/"


def test_payload_caption_shows_prefix_letters_as_letters() -> None:
    payload = announcement_payload("A005", 12, pack_url_base="/voice/x/")
    assert payload["text"] == "Mời công dân có số A không không năm đến quầy số mười hai"
    assert payload["pack_url"] == "/voice/x/"


def test_required_clips_follow_the_settings() -> None:
    northern = required_clips(VoiceSettings(letters="AB"))
    expected = {"chime", MOI, DEN, "linh", "nghin", "letter_a", "letter_b", "mot_sac", "tu", "lam"}
    assert expected <= set(northern)
    assert not {"le", "ngan", "pause", "letter_c"} & set(northern)
    southern = required_clips(VoiceSettings(variant="southern", chime=False, repeat=2, letters=""))
    assert {"le", "ngan", "pause"} <= set(southern)
    assert not {"linh", "nghin", "chime", "letter_a"} & set(southern)
    assert northern["mot_sac"] == "mốt" and northern[MOI] == "Mời công dân có số"


def test_every_reading_of_the_table_uses_only_required_clips() -> None:
    for settings in (NORTHERN, SOUTHERN, DIGITS):
        needed = set(required_clips(settings))
        for number, _ in NORTHERN_READINGS + CHARACTER_READINGS:
            assert set(announcement(number, 21, settings)) <= needed, number
