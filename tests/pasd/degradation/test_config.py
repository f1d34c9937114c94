import pytest

from pasd.degradation.config import list_configs, load_config


def test_presets_listed():
    assert {"pasd_x4", "realesrgan_x4plus"} <= set(list_configs())


def test_default_is_pasd_published_values():
    """The issue's numbers (PASD's params_realesrgan.yml, Real-ESRGAN kernel options)."""
    cfg = load_config()
    assert cfg.name == "pasd_x4" and cfg.scale == 4
    assert cfg.kernel_sizes == (7, 9, 11, 13, 15, 17, 19, 21) and cfg.kernel_pad_to == 21
    s1, s2 = cfg.stage1, cfg.stage2
    assert s1.kernel_prob == (0.45, 0.25, 0.12, 0.03, 0.12, 0.03) == s2.kernel_prob
    assert s1.sinc_prob == s2.sinc_prob == 0.1
    assert s1.blur_sigma == (0.2, 3.0) and s2.blur_sigma == (0.2, 1.5)
    assert s1.betag_range == (0.5, 4.0) and s1.betap_range == (1.0, 2.0)
    assert s1.resize_prob == (0.2, 0.7, 0.1) and s1.resize_range == (0.3, 1.5)
    assert s2.resize_prob == (0.3, 0.4, 0.3) and s2.resize_range == (0.6, 1.2)
    assert s1.noise_range == (1.0, 15.0) and s2.noise_range == (1.0, 12.0)
    assert s1.poisson_scale_range == (0.05, 2.0) and s2.poisson_scale_range == (0.05, 1.0)
    assert s1.gaussian_noise_prob == s2.gaussian_noise_prob == 0.5
    assert s1.gray_noise_prob == s2.gray_noise_prob == 0.4
    assert s1.jpeg_range == (60.0, 95.0) and s2.jpeg_range == (60.0, 100.0)
    assert s2.blur_prob == 0.5 and cfg.final.sinc_prob == 0.8
    assert s1.resize_modes == ("area", "bilinear", "bicubic")


def test_realesrgan_preset_sharpens():
    cfg = load_config("realesrgan_x4plus")
    assert cfg.usm_input and cfg.usm_target and cfg.stage1.resize_range == (0.15, 1.5)


def test_with_scale():
    assert load_config().with_scale(2).scale == 2
    with pytest.raises(ValueError, match="scale must be a positive integer"):
        load_config().with_scale(0)


def test_unknown_preset():
    with pytest.raises(KeyError, match="no degradation config"):
        load_config("realesrgan_x5")


def _write(tmp_path, text):
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


@pytest.mark.parametrize(
    ("old", "new", "error", "match"),
    [
        (
            "kernel_prob: [0.45, 0.25, 0.12, 0.03, 0.12, 0.03]",
            "kernel_prob: [0.5, 0.5, 0, 0, 0, 0.1]",
            ValueError,
            "summing to 1",
        ),
        ("sinc_prob: 0.1", "sinc_prob: 1.5", ValueError, "probability"),
        ("resize_modes: [area, bilinear, bicubic]", "resize_modes: [area, lanczos]", ValueError, "lanczos"),
        ("betag_range: [0.5, 4.0]", "betag_range: [1.5, 4.0]", ValueError, "contain 1"),
        ("jpeg_range: [60.0, 95.0]", "jpeg_range: [95.0, 60.0]", ValueError, "jpeg_range"),
        ("gray_noise_prob: 0.4", "grey_noise_prob: 0.4", KeyError, "grey_noise_prob"),
    ],
    ids=["weights", "prob", "mode", "beta", "range", "typo"],
)
def test_invalid_values_name_the_key(tmp_path, old, new, error, match):
    from pasd.degradation.config import CONFIG_DIR

    text = (CONFIG_DIR / "pasd_x4.yaml").read_text()
    assert old in text
    with pytest.raises(error, match=match):
        load_config(_write(tmp_path, text.replace(old, new, 1)))


def test_custom_file_loads(tmp_path):
    from pasd.degradation.config import CONFIG_DIR

    text = (CONFIG_DIR / "pasd_x4.yaml").read_text().replace("name: pasd_x4", "name: mine")
    assert load_config(_write(tmp_path, text)).name == "mine"
