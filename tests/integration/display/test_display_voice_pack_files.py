"""Voice packs are served read-only at /display/voice/packs/<pack>/<file>: the manifest and the files it
lists, nothing else, with cache headers (clips cached, manifest revalidated)."""
from __future__ import annotations

import json
import wave
from pathlib import Path

import pytest

from server import create_app
from server.settings import load_settings


def _write_pack(folder: Path) -> None:
    folder.mkdir(parents=True)
    for name in ("mot.wav", "chime.wav"):
        with wave.open(str(folder / name), "wb") as clip:
            clip.setnchannels(1)
            clip.setsampwidth(2)
            clip.setframerate(22050)
            clip.writeframes(b"\x00\x00" * 2205)
    (folder / "notes.txt").write_text("recorded on 2026-11-20, not part of the pack")
    manifest = {"format_version": 1, "name": "Thử", "language": "vi", "variants": ["northern"], "sample_rate": 22050,
                "format": "wav", "clips": {"mot": {"file": "mot.wav", "text": "một"}, "chime": {"file": "chime.wav", "text": ""},
                                           "hai": {"file": "../outside.wav", "text": "hai"}}}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    (folder.parent / "outside.wav").write_bytes(b"RIFF")


@pytest.fixture
def pack_client(sqlite_url: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    packs = tmp_path / "voice"
    _write_pack(packs / "trung-tam")
    app = create_app(load_settings(database_url=sqlite_url, secret_key="test", scheduler=False, voice_pack_dir=str(packs)))
    yield app.test_client()
    app.extensions["hangcho"].engine.dispose()


def test_the_manifest_is_served_and_revalidated_on_every_load(pack_client) -> None:  # type: ignore[no-untyped-def]
    response = pack_client.get("/display/voice/packs/trung-tam/manifest.json")
    assert response.status_code == 200
    assert response.json["name"] == "Thử"
    assert "no-cache" in response.headers["Cache-Control"]
    assert response.headers.get("ETag")


def test_a_listed_clip_is_served_with_a_cache_lifetime(pack_client) -> None:  # type: ignore[no-untyped-def]
    response = pack_client.get("/display/voice/packs/trung-tam/mot.wav")
    assert response.status_code == 200
    assert response.data[:4] == b"RIFF"
    assert response.mimetype in ("audio/wav", "audio/x-wav", "audio/wave")
    assert "max-age=86400" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]


@pytest.mark.parametrize("path", [
    "/display/voice/packs/trung-tam/notes.txt",          # in the folder, not in the manifest
    "/display/voice/packs/trung-tam/../outside.wav",     # listed by the manifest, but outside the folder
    "/display/voice/packs/trung-tam/%2E%2E/outside.wav",
    "/display/voice/packs/khong-co/manifest.json",       # no such pack
    "/display/voice/packs/.hidden/manifest.json",        # not a pack name
    "/display/voice/packs/trung-tam/hai.wav",
])
def test_anything_not_listed_in_the_manifest_is_not_found(pack_client, path: str) -> None:  # type: ignore[no-untyped-def]
    assert pack_client.get(path).status_code == 404


def test_packs_are_read_only(pack_client) -> None:  # type: ignore[no-untyped-def]
    assert pack_client.put("/display/voice/packs/trung-tam/mot.wav", data=b"x").status_code == 405
    assert pack_client.delete("/display/voice/packs/trung-tam/mot.wav").status_code == 405
