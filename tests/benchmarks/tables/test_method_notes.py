"""Footnotes that say what a row really is (the LDM row is the public OpenImages model, not the paper's)."""

from benchmarks.tables import build_table, to_markdown
from tests.benchmarks.tables.test_build import frame


def test_ldm_and_sd_upscaler_rows_carry_their_footnote():
    df = frame(
        [
            ("ldm", "realsr", "psnr", 24.0),
            ("sd-upscaler", "realsr", "psnr", 23.0),
            ("pasd", "realsr", "psnr", 25.0),
        ]
    )
    md = to_markdown(build_table(1, df))
    assert "OpenImages LDM x4" in md and "StableSR's fine-tuned LDM is not published" in md
    assert "128-px latent tiles" in md
    only_pasd = build_table(1, frame([("pasd", "realsr", "psnr", 25.0)]))
    assert not any("LDM" in n or "Upscaler" in n for n in only_pasd.notes)
