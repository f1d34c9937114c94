"""SwinIR-M / -L against ``main_test_swinir.py --task real_sr`` on basicsr's SwinIR, same random release."""

import pytest
import torch

from baselines import create_method
from tests.baselines import official
from tests.baselines.helpers import assert_matches, photo

VARIANTS = [("swinir-gan-m", "m"), ("swinir-gan-l", "l")]


@pytest.mark.parametrize("name,variant", VARIANTS, ids=["M", "L"])
def test_release_layout(release, name, variant):
    sd = torch.load(release(name))["params_ema"]
    assert "layers.0.residual_group.blocks.1.attn_mask" in sd  # buffers are saved, as in the release
    assert ("conv_after_body.weight" in sd) == (variant == "m")  # M: 1conv, L: 3conv
    assert "conv_up2.weight" in sd  # nearest+conv upsampler


@pytest.mark.parametrize("name,variant", VARIANTS, ids=["M", "L"])
@pytest.mark.parametrize("size", [(37, 53), (40, 48)], ids=["odd", "multiple-of-8"])
def test_equals_main_test_swinir(release, name, variant, size):
    """A side already divisible by 8 still gets a full extra window of flipped pixels (``h // 8 + 1``)."""
    path = release(name)
    img = photo(*size)
    ours = create_method(name)(img)
    assert ours.shape == (size[0] * 4, size[1] * 4, 3) and ours.std() > 10
    assert_matches(ours, official.swinir_real_sr(path, variant)(img))


def test_tiled_equals_the_scripts_tile_test(release):
    path = release("swinir-gan-m")
    img = photo(40, 40)  # flip-padded to 48 x 48: 32-px tiles at stride 16 -> 2 x 2 tiles
    ours = create_method("swinir-gan-m", tile=32, tile_overlap=16)(img)
    assert_matches(ours, official.swinir_real_sr(path, "m", tile=32, tile_overlap=16)(img))


def test_unwrapped_file_loads_too(release, lq, isolated_caches):
    path = release("swinir-gan-m")
    torch.save(torch.load(path)["params_ema"], path)  # the script falls back to the dict itself
    m = create_method("swinir-gan-m")
    assert_matches(m(lq), official.swinir_real_sr(path, "m")(lq))
    assert m.loaded_key == "raw"


def test_table1_name_is_the_large_model():
    assert create_method("swinir-gan").weights == ("swinir-gan-realsr",)
    assert create_method("swinir-gan-l").weights == ("swinir-gan-realsr",)
    assert create_method("swinir-gan-m").weights == ("swinir-gan-realsr-m",)


def test_tile_must_be_a_window_multiple():
    with pytest.raises(ValueError, match="multiple of 8"):
        create_method("swinir-gan-m", tile=60)


def test_too_small_image_is_a_clear_error(release):
    release("swinir-gan-m")
    with pytest.raises(ValueError, match="too small to flip-pad"):
        create_method("swinir-gan-m")(photo(3, 20))


def test_m_artifact_sits_beside_the_l_one():
    from pasd import hub

    m, large = hub.get_artifact("swinir-gan-realsr-m"), hub.get_artifact("swinir-gan-realsr")
    assert m.files[0].url.rsplit("/", 1) == [large.files[0].url.rsplit("/", 1)[0],
                                             "003_realSR_BSRGAN_DFO_s64w8_SwinIR-M_x4_GAN.pth"]  # fmt: skip
    assert m.fetchable and m.cache == large.cache == "torch-hub"
    assert "swinir-gan-m" in m.used_by and "swinir-gan" in large.used_by
