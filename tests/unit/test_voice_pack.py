"""Specification of voice packs: the espeak-ng default pack, validation, and the check command.

The default pack is generated once per module with the real espeak-ng (Debian package espeak-ng),
through a wrapper that logs what the synthesizer was asked to say.
"""

from __future__ import annotations

import array
import itertools
import json
import os
import re
import shutil
import stat
import sys
import wave
from pathlib import Path

import pytest

from display.voice import (
    VoicePackIncomplete,
    VoicePackInvalid,
    VoiceSettings,
    announcement,
    inspect_pack,
    load_pack,
    required_clips,
)
from display.voice import check
from display.voice.generate import GenerationRefused, SynthesizerMissing, generate_pack

REAL_ESPEAK = shutil.which("espeak-ng") or "/usr/bin/espeak-ng"
ALL_SETTINGS = [
    VoiceSettings(variant=variant, number_style=style, chime=chime, repeat=repeat)
    for variant, style, chime, repeat in itertools.product(
        ("northern", "southern"), ("cardinal", "digits"), (True, False), (1, 2)
    )
]
NEAR_SILENCE = 0.01 * 32767  # -40 dBFS
MAX_EDGE_SILENCE_S = 0.030


@pytest.fixture(scope="module")
def espeak_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("espeak") / "calls.log"


@pytest.fixture(scope="module")
def logging_espeak(tmp_path_factory: pytest.TempPathFactory, espeak_log: Path) -> Path:
    """An espeak-ng stand-in that records its arguments, one call per line, then runs the real one."""
    script = tmp_path_factory.mktemp("bin") / "espeak-ng"
    script.write_text(
        "#!/bin/sh\n"
        f'printf "%s\\n" "$*" >> "{espeak_log}"\n'
        f'exec "{REAL_ESPEAK}" "$@"\n',
        encoding="utf-8",
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


@pytest.fixture(scope="module")
def default_pack(tmp_path_factory: pytest.TempPathFactory, logging_espeak: Path) -> Path:
    output = tmp_path_factory.mktemp("voice") / "default"
    result = generate_pack(output, espeak=str(logging_espeak))
    assert result.generated
    return output


@pytest.fixture
def pack_copy(default_pack: Path, tmp_path: Path) -> Path:
    target = tmp_path / "pack"
    shutil.copytree(default_pack, target)
    return target


def _manifest(path: Path) -> dict:
    return json.loads((path / "manifest.json").read_text(encoding="utf-8"))


def _write_manifest(path: Path, manifest: dict) -> None:
    (path / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")


def _samples(path: Path) -> tuple[array.array, int]:
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth()) == (1, 2), path.name
        samples = array.array("h", wav.readframes(wav.getnframes()))
        rate = wav.getframerate()
    if sys.byteorder == "big":
        samples.byteswap()
    return samples, rate


# --- the generated default pack --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings", ALL_SETTINGS, ids=lambda s: f"{s.variant}-{s.number_style}-chime{s.chime:d}-repeat{s.repeat}"
)
def test_generated_pack_is_complete_for_every_settings_combination(
    default_pack: Path, settings: VoiceSettings
) -> None:
    pack = load_pack(default_pack, settings)
    assert set(required_clips(settings)) <= set(pack.clips)


def test_generated_pack_declares_what_it_covers(default_pack: Path) -> None:
    manifest = _manifest(default_pack)
    assert manifest["language"] == "vi"
    assert manifest["variants"] == ["northern", "southern"]
    assert manifest["format"] == "wav"
    assert manifest["sample_rate"] == 22050
    assert manifest["clips"]["mot_sac"] == {"file": "mot_sac.wav", "text": "mốt"}
    assert manifest["generator"]["tool"] == "display.voice.generate"


def test_every_generated_clip_is_a_readable_non_empty_wav(default_pack: Path) -> None:
    for clip_id, entry in _manifest(default_pack)["clips"].items():
        samples, rate = _samples(default_pack / entry["file"])
        assert rate == 22050, clip_id
        assert len(samples) / rate > 0.1, clip_id


def test_spoken_clips_are_trimmed_so_they_join_without_gaps(default_pack: Path) -> None:
    for clip_id, entry in _manifest(default_pack)["clips"].items():
        if clip_id == "pause":
            continue  # silence is its purpose
        samples, rate = _samples(default_pack / entry["file"])
        loud = [i for i, sample in enumerate(samples) if abs(sample) > NEAR_SILENCE]
        assert loud, clip_id
        assert loud[0] / rate <= MAX_EDGE_SILENCE_S, f"{clip_id}: {loud[0] / rate * 1000:.0f} ms lead-in"
        tail = (len(samples) - 1 - loud[-1]) / rate
        assert tail <= MAX_EDGE_SILENCE_S, f"{clip_id}: {tail * 1000:.0f} ms tail"


def test_pause_clip_is_silence(default_pack: Path) -> None:
    samples, rate = _samples(default_pack / "pause.wav")
    assert 0.3 <= len(samples) / rate <= 1.0
    assert max(abs(s) for s in samples) == 0


def test_chime_is_a_short_audible_sound(default_pack: Path) -> None:
    samples, rate = _samples(default_pack / "chime.wav")
    assert 0.5 <= len(samples) / rate <= 2.0
    assert max(abs(s) for s in samples) > 8000


def test_synthesizer_is_only_ever_given_words_never_digits(default_pack: Path, espeak_log: Path) -> None:
    calls = [line for line in espeak_log.read_text(encoding="utf-8").splitlines() if "-w" in line]
    texts = [line.split(".raw.wav ", 1)[1] for line in calls]
    assert len(texts) == len(_manifest(default_pack)["clips"]) - 2  # all but chime and pause
    assert "mốt" in texts and "mươi" in texts and "Mời công dân có số" in texts
    assert not [text for text in texts if re.search(r"\d", text)]


def test_announcement_of_1005_at_counter_3_resolves_to_existing_files(default_pack: Path) -> None:
    pack = load_pack(default_pack)
    files = pack.resolve(announcement("1005", 3))
    assert [f.name for f in files] == [
        "chime.wav", "phrase_moi_cong_dan_co_so.wav", "mot.wav", "nghin.wav", "khong.wav", "tram.wav",
        "linh.wav", "nam.wav", "phrase_den_quay_so.wav", "ba.wav",
    ]
    assert all(f.is_file() for f in files)


def test_if_missing_leaves_a_current_pack_untouched(default_pack: Path) -> None:
    before = {p.name: p.stat().st_mtime_ns for p in default_pack.iterdir()}
    result = generate_pack(default_pack, if_missing=True, espeak="/nonexistent/espeak-ng")
    assert not result.generated
    assert {p.name: p.stat().st_mtime_ns for p in default_pack.iterdir()} == before


def test_if_missing_rebuilds_when_the_vocabulary_changed(pack_copy: Path) -> None:
    wording = "Xin mời số {number} tới quầy {counter}"
    result = generate_pack(pack_copy, if_missing=True, wordings=[wording], espeak=REAL_ESPEAK)
    assert result.generated
    pack = load_pack(pack_copy, VoiceSettings(wording=wording))
    assert {"phrase_xin_moi_so", "phrase_toi_quay", "phrase_moi_cong_dan_co_so"} <= set(pack.clips)


def test_if_missing_rebuilds_when_a_clip_file_is_gone(pack_copy: Path) -> None:
    (pack_copy / "tu.wav").unlink()
    assert generate_pack(pack_copy, if_missing=True, espeak=REAL_ESPEAK).generated
    assert (pack_copy / "tu.wav").is_file()


def test_missing_espeak_names_the_debian_package(tmp_path: Path) -> None:
    with pytest.raises(SynthesizerMissing, match="apt-get install espeak-ng"):
        generate_pack(tmp_path / "pack", espeak="/nonexistent/espeak-ng")


def test_generator_never_overwrites_a_recorded_pack(pack_copy: Path) -> None:
    manifest = _manifest(pack_copy)
    del manifest["generator"]
    _write_manifest(pack_copy, manifest)
    with pytest.raises(GenerationRefused):
        generate_pack(pack_copy, espeak=REAL_ESPEAK)


def test_wording_with_digits_is_refused_by_the_generator(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="digits"):
        generate_pack(
            tmp_path / "pack", wordings=["Mời số {number} đến phòng 2 quầy {counter}"], espeak=REAL_ESPEAK
        )


# --- validation of any pack (a centre's own recordings) --------------------------------------------------


def test_pack_without_manifest_is_invalid(tmp_path: Path) -> None:
    with pytest.raises(VoicePackInvalid, match="manifest.json"):
        load_pack(tmp_path)


def test_missing_clips_are_listed_with_the_words_to_record(pack_copy: Path) -> None:
    manifest = _manifest(pack_copy)
    for clip_id in ("mot_sac", "le"):
        del manifest["clips"][clip_id]
    _write_manifest(pack_copy, manifest)
    with pytest.raises(VoicePackIncomplete) as raised:
        load_pack(pack_copy)
    assert raised.value.missing == {"mot_sac": "mốt", "le": "lẻ"}
    assert "mot_sac (mốt)" in str(raised.value)


def test_northern_only_pack_is_complete_for_northern_settings(pack_copy: Path) -> None:
    manifest = _manifest(pack_copy)
    manifest["variants"] = ["northern"]
    for clip_id in ("le", "ngan"):
        del manifest["clips"][clip_id]
    _write_manifest(pack_copy, manifest)
    load_pack(pack_copy)
    with pytest.raises(VoicePackIncomplete):
        load_pack(pack_copy, VoiceSettings(variant="southern"))


def test_unknown_clip_id_and_unreadable_file_are_reported_together(pack_copy: Path) -> None:
    manifest = _manifest(pack_copy)
    manifest["clips"]["mot_sat"] = {"file": "mot_sac.wav", "text": "mốt"}
    _write_manifest(pack_copy, manifest)
    (pack_copy / "khong.wav").write_bytes(b"not a wav file")
    report = inspect_pack(pack_copy)
    assert any("mot_sat" in problem for problem in report.problems)
    assert any("khong.wav" in problem for problem in report.problems)
    with pytest.raises(VoicePackInvalid, match="mot_sat"):
        load_pack(pack_copy)


def test_missing_file_and_stereo_wav_are_problems(pack_copy: Path) -> None:
    (pack_copy / "tam.wav").unlink()
    with wave.open(str(pack_copy / "chin.wav"), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(22050)
        wav.writeframes(b"\x00\x01" * 2000)
    problems = inspect_pack(pack_copy).problems
    assert any("tam.wav is missing" in p for p in problems)
    assert any("chin.wav" in p and "16-bit mono" in p for p in problems)


def test_file_outside_the_pack_folder_is_refused(pack_copy: Path) -> None:
    manifest = _manifest(pack_copy)
    manifest["clips"]["ba"]["file"] = "../ba.wav"
    _write_manifest(pack_copy, manifest)
    assert any("inside the pack folder" in p for p in inspect_pack(pack_copy).problems)


def test_phrase_text_must_match_its_id(pack_copy: Path) -> None:
    manifest = _manifest(pack_copy)
    manifest["clips"]["phrase_den_quay_so"]["text"] = "đến bàn số"
    _write_manifest(pack_copy, manifest)
    assert any("phrase_den_ban_so" in p for p in inspect_pack(pack_copy).problems)


def test_ogg_and_mp3_clips_are_accepted_by_their_signature(pack_copy: Path) -> None:
    manifest = _manifest(pack_copy)
    (pack_copy / "ba.ogg").write_bytes(b"OggS" + bytes(60))
    (pack_copy / "hai.mp3").write_bytes(b"ID3" + bytes(60))
    (pack_copy / "bon.ogg").write_bytes(b"RIFF" + bytes(60))
    manifest["clips"]["ba"]["file"] = "ba.ogg"
    manifest["clips"]["hai"]["file"] = "hai.mp3"
    manifest["clips"]["bon"]["file"] = "bon.ogg"
    _write_manifest(pack_copy, manifest)
    problems = inspect_pack(pack_copy).problems
    assert problems == ["clip bon: bon.ogg: not an Ogg file"]


def test_resolve_reports_every_missing_clip_of_a_call(default_pack: Path) -> None:
    pack = load_pack(default_pack)
    with pytest.raises(VoicePackIncomplete) as raised:
        pack.resolve(["chime", "phrase_xin_moi", "mot", "letter_q", "phrase_toi"])
    assert set(raised.value.missing) == {"phrase_xin_moi", "phrase_toi"}


# --- python -m display.voice.check -----------------------------------------------------------------------


def test_check_command_reports_a_complete_pack(
    default_pack: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check.main([str(default_pack), "--announce", "1005", "3"]) == 0
    out = capsys.readouterr().out
    assert "complete" in out
    assert "một nghìn không trăm linh năm" in out and "linh.wav" in out


def test_check_command_lists_what_is_missing(pack_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _manifest(pack_copy)
    del manifest["clips"]["tu"]
    _write_manifest(pack_copy, manifest)
    assert check.main([str(pack_copy)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^\s+tu\s+tư$", out, re.MULTILINE)


def test_check_command_limits_letters_when_asked(pack_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    manifest = _manifest(pack_copy)
    del manifest["clips"]["letter_z"]
    _write_manifest(pack_copy, manifest)
    assert check.main([str(pack_copy)]) == 1
    assert check.main([str(pack_copy), "--letters", "ABC"]) == 0


def test_check_command_runs_as_a_module(default_pack: Path) -> None:
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "display.voice.check", str(default_pack)],
        capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "complete" in result.stdout
