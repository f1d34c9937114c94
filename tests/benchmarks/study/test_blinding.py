"""Defect 1: nothing but pixels may tell methods apart (format, metadata, file times, headers)."""

from __future__ import annotations

import os
import struct

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image, PngImagePlugin

from benchmarks.study.create import create_study
from benchmarks.study.encode import FIXED_MTIME, decode_rgb
from benchmarks.study.server import create_app

from .conftest import ADMIN, consent, current, vote

ANCILLARY_TELLS = (b"tEXt", b"iTXt", b"zTXt", b"eXIf", b"iCCP", b"tIME", b"pHYs", b"gAMA", b"sRGB", b"cHRM")


def png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    out, k = [], 8
    while k < len(data):
        (n,) = struct.unpack(">I", data[k : k + 4])
        out.append(data[k + 4 : k + 8])
        k += 12 + n
    return out


@pytest.fixture
def twin_sources(tmp_path, sources):
    """Two "methods" with the same pixels: one a JPEG dated today, one a PNG dated 2019 that says who made it."""
    lq, _ = sources
    jpeg_dir, png_dir = tmp_path / "jpegmethod", tmp_path / "pngmethod"
    jpeg_dir.mkdir()
    png_dir.mkdir()
    old = 1_546_300_800  # 2019-01-01
    for src in sorted(lq.glob("*.png")):
        up = Image.open(src).convert("RGB").resize((96, 96), Image.Resampling.BICUBIC)
        jpg = jpeg_dir / f"{src.stem}.jpg"
        up.save(jpg, quality=90, exif=Image.Exif(), comment=b"made by JPEG-SR 2.1")
        pixels = np.asarray(Image.open(jpg).convert("RGB"))
        info = PngImagePlugin.PngInfo()
        info.add_text("Software", "Real-ESRGAN x4plus v0.3.0")
        Image.fromarray(pixels).save(
            png_dir / f"{src.stem}.png", pnginfo=info, dpi=(300, 300), compress_level=1
        )
        os.utime(png_dir / f"{src.stem}.png", (old, old))
    return lq, {"jpegmethod": jpeg_dir, "pngmethod": png_dir}


def test_two_methods_differing_only_in_format_metadata_and_mtime_are_served_identically(
    tmp_path, twin_sources
):
    lq, outs = twin_sources
    study = tmp_path / "study"
    spec = create_study(lq, outs, study, n_images=3, n_gold=1, min_view_ms=0)
    c = TestClient(create_app(study, ADMIN))
    consent(c)
    import sqlite3

    seen_main = 0
    header_sets = set()
    for _ in range(spec.n_trials):
        pos, options, _ = current(c)
        responses = [c.get(f"/img/{t}") for t in options]
        for r in responses:
            assert r.status_code == 200
            assert r.headers["content-type"] == "image/png" and r.headers["cache-control"] == "no-store"
            assert "etag" not in r.headers and "last-modified" not in r.headers
            assert not set(png_chunks(r.content)) & set(ANCILLARY_TELLS)
            header_sets.add(tuple(sorted(k for k in r.headers if k != "content-length")))
        con = sqlite3.connect(study / "votes.sqlite")
        kind = con.execute("SELECT kind FROM trials WHERE pos = ?", (pos,)).fetchone()[0]
        con.close()
        if kind == "main":  # same pixels: byte-identical bodies and headers, whatever the source file was
            seen_main += 1
            assert responses[0].content == responses[1].content
            assert dict(responses[0].headers) == dict(responses[1].headers)
        vote(c, pos, options[0])
    assert seen_main == 3
    assert len(header_sets) == 1  # gold decoys carry exactly the same headers as real outputs


def test_every_study_file_is_a_metadata_free_png_with_one_time_and_the_source_pixels(tmp_path, twin_sources):
    lq, outs = twin_sources
    spec = create_study(lq, outs, tmp_path / "s", n_images=3, n_gold=2, min_view_ms=0)
    files = [p for p in (tmp_path / "s").rglob("*") if p.is_file() and p.name != "study.json"]
    assert files and all(p.suffix == ".png" for p in files)
    assert {int(p.stat().st_mtime) for p in files} == {FIXED_MTIME}  # decoys dated like everything else
    for p in files:
        assert not set(png_chunks(p.read_bytes())) & set(ANCILLARY_TELLS), p
    for im in spec.images:
        for m, rel in im.outputs.items():
            src = next(outs[m].glob(f"{im.name}.*"))
            np.testing.assert_array_equal(
                decode_rgb(tmp_path / "s" / rel), np.asarray(Image.open(src).convert("RGB"))
            )
        np.testing.assert_array_equal(
            decode_rgb(tmp_path / "s" / im.lq), np.asarray(Image.open(lq / f"{im.name}.png").convert("RGB"))
        )


def test_gold_trials_use_spare_images_so_the_clean_option_is_not_a_file_seen_before(tmp_path, sources):
    lq, outs = sources
    spec = create_study(lq, outs, tmp_path / "s", n_images=4, n_gold=2, min_view_ms=0)
    main_names = {im.name for im in spec.images}
    assert {g.source_image for g in spec.gold}.isdisjoint(main_names)
    main_bytes = {(tmp_path / "s" / rel).read_bytes() for im in spec.images for rel in im.outputs.values()}
    for g in spec.gold:
        for rel in g.options.values():
            assert (tmp_path / "s" / rel).read_bytes() not in main_bytes


def test_decode_policy_for_odd_modes(tmp_path):
    grey16 = (np.arange(64, dtype=np.uint16).reshape(8, 8) * 1000).astype(np.uint16)
    Image.fromarray(grey16).save(tmp_path / "g16.png")
    got = decode_rgb(tmp_path / "g16.png")
    assert got.shape == (8, 8, 3) and got.dtype == np.uint8
    np.testing.assert_array_equal(got[..., 0], np.rint(grey16 / 257).astype(np.uint8))
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[:2, :, 3] = 255  # top half opaque red, bottom half transparent
    Image.fromarray(rgba).save(tmp_path / "a.png")
    out = decode_rgb(tmp_path / "a.png")
    assert tuple(out[0, 0]) == (255, 0, 0) and tuple(out[3, 3]) == (128, 128, 128)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    with pytest.raises(ValueError, match="cannot read image"):
        decode_rgb(tmp_path / "bad.png")


def test_options_of_a_trial_are_served_with_one_length_although_their_pixels_compress_differently(
    tmp_path, sources
):
    import io
    import zlib

    from benchmarks.study.encode import encode_png

    lq, outs = sources
    study = tmp_path / "study"
    spec = create_study(lq, outs, study, n_images=3, n_gold=1, min_view_ms=0)
    # the precondition that makes the test mean something: unpadded, the methods' files differ in length
    im = spec.images[0]
    natural = {m: len(encode_png(decode_rgb(next(outs[m].glob(f"{im.name}.*"))))) for m in outs}
    assert len(set(natural.values())) == len(natural), natural
    c = TestClient(create_app(study, ADMIN))
    consent(c)
    kinds = set()
    for _ in range(spec.n_trials):
        pos, options, _ = current(c)
        bodies = [c.get(f"/img/{t}") for t in options]
        assert len({r.headers["content-length"] for r in bodies}) == 1, [
            r.headers["content-length"] for r in bodies
        ]
        assert len({len(r.content) for r in bodies}) == 1
        for r in bodies:  # a valid PNG by the spec: every chunk's CRC holds; the one extra chunk is the pad
            data, k, types = r.content, 8, []
            while k < len(data):
                (n,) = struct.unpack(">I", data[k : k + 4])
                ctype, body, crc = data[k + 4 : k + 8], data[k + 8 : k + 8 + n], data[k + 8 + n : k + 12 + n]
                assert struct.unpack(">I", crc)[0] == zlib.crc32(ctype + body), ctype
                types.append(ctype)
                k += 12 + n
            assert types[0] == b"IHDR" and types[-2:] == [b"paDd", b"IEND"]
            assert set(types) == {b"IHDR", b"IDAT", b"paDd", b"IEND"}
            with Image.open(io.BytesIO(data)) as decoded:
                assert decoded.size == (96, 96)
        import sqlite3

        con = sqlite3.connect(study / "votes.sqlite")
        kinds.add(con.execute("SELECT kind FROM trials WHERE pos = ?", (pos,)).fetchone()[0])
        con.close()
        vote(c, pos, options[0])
    assert kinds == {"main", "gold"}
    for im in spec.images:  # padding leaves the pixels as the methods wrote them
        for m, rel in im.outputs.items():
            np.testing.assert_array_equal(
                decode_rgb(study / rel),
                np.asarray(Image.open(next(outs[m].glob(f"{im.name}.*"))).convert("RGB")),
            )
