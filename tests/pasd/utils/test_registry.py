import pytest

from pasd.utils.registry import ALL_REGISTRIES, Registry, new_registry


def test_register_decorator_and_get_case_insensitive():
    reg = Registry("metric")

    @reg.register("PSNR")
    class Psnr:
        pass

    assert reg.get("psnr") is Psnr
    assert reg.get("PsNr") is Psnr
    assert "psnr" in reg and "ssim" not in reg
    assert list(reg) == ["psnr"]


def test_duplicate_registration_is_refused():
    reg = Registry("method")
    reg.register("bicubic", object())
    with pytest.raises(KeyError, match="already registered"):
        reg.register("Bicubic", object())


def test_miss_suggests_close_matches():
    reg = Registry("metric")
    for name in ("lpips", "lpips-vgg", "dists"):
        reg.register(name, object())
    with pytest.raises(KeyError, match="Did you mean one of: lpips"):
        reg.get("lpip")
    with pytest.raises(KeyError, match="Known: dists, lpips, lpips-vgg"):
        reg.get("zzz")


def test_snapshot_restore():
    reg = new_registry("dataset")
    assert reg in ALL_REGISTRIES
    reg.register("a", 1)
    snap = reg.snapshot()
    reg.register("b", 2)
    reg.restore(snap)
    assert list(reg) == ["a"]
    ALL_REGISTRIES.remove(reg)
