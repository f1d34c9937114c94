import re

import pytest

from pasd import hub
from pasd.hub.registry import ARTIFACTS_FILE, KINDS, load_artifacts

#: what the foundation issue requires the registry to cover (by our names)
REQUIRED = {
    "sd15", "pasd", "pasd_rrdb", "pasd_light", "pasd_color", "resnet50", "yolov8n", "blip-caption",
    "inception-fid", "clip-vit-b32", "lpips-alex", "alexnet", "dists", "vgg16", "musiq-koniq", "niqe",
    "realesrgan-x4plus", "bsrgan", "ldl", "swinir-gan-realsr", "femasr-x4", "ldm-sr-4x", "sd-x4-upscaler",
    "stablesr", "stablesr-cfw", "controlnet-tile", "instruct-pix2pix", "dct-net", "toonyou", "controlnet-canny",
    "animeganv2-paprika", "animeganv2-face-paint-512-v1", "animeganv2-face-paint-512-v2", "animeganv2-celeba-distill",
    "cartoongan-hayao", "cartoongan-hosoda", "cartoongan-paprika", "cartoongan-shinkai",
}  # fmt: skip


def test_real_table_is_well_formed_and_complete():
    table = load_artifacts(ARTIFACTS_FILE)
    missing = REQUIRED - set(table)
    assert not missing, f"artifacts.toml lacks {sorted(missing)}"
    for art in table.values():
        assert art.kind in KINDS
        assert art.licence.strip()
        if art.fetchable:
            assert art.files, art.name
        else:
            assert art.notes, art.name  # a manual artifact must say how to get it
        if art.fetchable and art.cache not in ("hf", "package"):
            assert all(re.match(r"^https?://", f.url) for f in art.files), art.name


def test_real_table_files_unique_across_flat_caches():
    # two artifacts sharing a flat cache must not claim the same file name with different content
    seen: dict[tuple[str, str], str | None] = {}
    for art in load_artifacts(ARTIFACTS_FILE).values():
        if art.cache in ("hf", "package"):
            continue
        for f in art.files:
            key = (art.cache, f.path.rsplit("/", 1)[-1])
            if key in seen:
                assert seen[key] == f.sha256, f"{key} listed twice with different hashes"
            seen[key] = f.sha256


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ('kind = "weights"', "kind 'weights' not in"),
        ('bogus = 1\nkind = "checkpoint"', "unknown keys"),
        (
            'kind = "checkpoint"\n[[artifacts.x.files]]\npath = "a.pth"\nsha256 = "abc"',
            "not 64 lower-case hex",
        ),
        (
            'kind = "checkpoint"\n[[artifacts.x.files]]\npath = "../a.pth"\nurl = "http://x/a"',
            "must be relative",
        ),
        ('kind = "checkpoint"\n[[artifacts.x.files]]\npath = "a.pth"', "needs a url"),
    ],
    ids=["bad-kind", "unknown-key", "bad-sha", "escaping-path", "no-url"],
)
def test_malformed_entries_are_rejected(tmp_path, snippet, message):
    head = '[artifacts.x]\ntitle = "x"\nlicence = "MIT"\ncache = "torch-hub"\n'
    body = (
        snippet
        if "[[artifacts.x.files]]" in snippet
        else snippet + '\n[[artifacts.x.files]]\npath = "a.pth"\nurl = "http://h/a.pth"'
    )
    p = tmp_path / "t.toml"
    p.write_text(head + body + "\n")
    with pytest.raises(ValueError, match=re.escape(message)):
        load_artifacts(p)


def test_unknown_name_suggests(toy_table):
    with pytest.raises(KeyError, match="Did you mean one of: toy-url"):
        hub.get_artifact("toy-ur")
