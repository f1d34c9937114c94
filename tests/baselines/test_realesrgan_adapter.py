"""Real-ESRGAN against the ``realesrgan`` package's own ``RealESRGANer`` on the same random release."""

import pytest
import torch

from baselines import create_method
from tests.baselines import official
from tests.baselines.helpers import assert_matches, max_diff, photo

pytest.importorskip(
    "realesrgan", reason="the reference RealESRGANer comes from the realesrgan test dependency"
)


def test_release_layout(release):
    ckpt = torch.load(release("realesrgan"))
    assert list(ckpt) == ["params_ema"]  # RealESRGAN_x4plus.pth: the EMA generator only
    sd = ckpt["params_ema"]
    assert (
        "body.0.rdb1.conv1.weight" in sd and "conv_up2.weight" in sd and sd["conv_first.weight"].shape[1] == 3
    )
    assert all(v.dtype == torch.float32 for v in sd.values())


def test_whole_image_equals_realesrganer(release, lq):
    path = release("realesrgan")
    m = create_method("realesrgan")
    ours = m(lq)
    ref = official.realesrganer(path)(lq)  # tile 0, tile_pad 10, pre_pad 0, fp32: the script on CPU
    assert ours.shape == (148, 212, 3) and ours.std() > 10  # a flat image would prove nothing
    assert_matches(ours, ref)
    assert m.loaded_key == "params_ema"
    assert m.options["dtype"] == "fp32" and m.options["pre_pad"] == 0 and m.options["tile"] == 0


def test_tiled_equals_realesrganer_tile_process(release, capsys):
    path = release("realesrgan")
    img = photo(40, 52)  # tile 32: a 2 x 2 grid with smaller right/bottom cells
    for tile_batch in (1, 4):
        ours = create_method("realesrgan", tile=32, tile_batch=tile_batch)(img)
        ref = official.realesrganer(path, tile=32, tile_pad=10)(img)
        assert_matches(ours, ref)
    assert "Tile 4/4" in capsys.readouterr().out  # the reference really tiled 4 times


def test_pre_pad_is_reflect_and_cropped(release, lq):
    path = release("realesrgan")
    ours = create_method("realesrgan", pre_pad=10)(lq)
    assert_matches(ours, official.realesrganer(path, pre_pad=10)(lq))
    assert max_diff(ours, create_method("realesrgan")(lq)) > 1  # the pad changes border pixels


def test_dtype_follows_the_script():
    assert create_method("realesrgan", device="cuda").options["dtype"] == "fp16"  # half=not args.fp32
    assert create_method("realesrgan", device="cpu").options["dtype"] == "fp32"
    assert create_method("realesrgan", device="cuda", dtype="fp32").options["dtype"] == "fp32"
    with pytest.raises(ValueError, match="pre_pad"):
        create_method("realesrgan", pre_pad=-1)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="test requires cuda")
def test_fp16_on_cuda_equals_realesrganer_half(release, lq):
    path = release("realesrgan")
    ours = create_method("realesrgan", device="cuda")(lq)
    ref = official.realesrganer(path, half=True, device="cuda")(lq)
    assert_matches(ours, ref, max_frac=1e-2)  # fp16 accumulation order may differ between kernels
