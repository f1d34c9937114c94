"""The shared tiler: grid geometry, exactness where it must be exact, seamless feathering, batching, errors."""

import math

import pytest
import torch
import torch.nn.functional as F

from baselines.tiling import TileConfig, crop_grid, overlap_starts, tiled_forward

SCALE = 4


def _local_net(radius: int):
    """A fixed random network whose output at a pixel depends on input pixels within ``radius`` only."""
    gen = torch.Generator().manual_seed(0)
    kernels = [torch.randn(3, 3, 3, 3, generator=gen) * 0.2 for _ in range(radius)]

    def fn(x):
        for k in kernels:
            x = torch.tanh(F.conv2d(x, k, padding=1))
        return F.interpolate(x, scale_factor=SCALE, mode="nearest")

    return fn


def _pointwise(x):
    return F.interpolate(torch.sin(3 * x) + x * x, scale_factor=SCALE, mode="nearest")


@pytest.fixture
def image():
    return torch.rand(2, 3, 45, 61, generator=torch.Generator().manual_seed(1))


def test_crop_grid_is_realesrganers():
    # RealESRGANer.tile_process: ceil(w / tile) x ceil(h / tile) cells, context clipped at the border
    cells = crop_grid(45, 61, 20, 10)
    assert len(cells) == math.ceil(45 / 20) * math.ceil(61 / 20) == 12
    assert cells[0] == ((0, 20, 0, 20), (0, 30, 0, 30))
    assert cells[5] == ((20, 40, 20, 40), (10, 45, 10, 50))
    assert cells[-1] == ((40, 45, 60, 61), (30, 45, 50, 61))
    covered = torch.zeros(45, 61, dtype=torch.int64)
    for (y0, y1, x0, x1), _ in cells:
        covered[y0:y1, x0:x1] += 1
    assert bool((covered == 1).all())  # cells partition the image


def test_overlap_starts_is_swinirs_rule():
    # main_test_swinir.py: list(range(0, h - tile, stride)) + [h - tile]
    assert overlap_starts(48, 32, 16) == [0, 16]
    assert overlap_starts(100, 48, 16) == [0, 32, 52]
    assert overlap_starts(32, 32, 16) == [0]
    assert overlap_starts(40, 16, 16) == list(range(0, 24, 8)) + [24]  # stride 0 would crash: tile // 2


@pytest.mark.parametrize("tile,context", [(16, 3), (20, 5), (7, 4)], ids=["16/3", "20/5", "7/4"])
def test_crop_is_exact_when_context_covers_the_receptive_field(image, tile, context):
    fn = _local_net(radius=3)
    cfg = TileConfig(tile, context, "crop", batch=3)
    assert torch.allclose(tiled_forward(fn, image, SCALE, cfg), fn(image), atol=1e-6)


def _exact_mask(length: int, tile: int, context: int, radius: int) -> torch.Tensor:
    """Input px whose whole receptive field lies inside their cell's tile (or beyond the image border)."""
    r = torch.arange(length)
    a = r // tile * tile
    b = torch.clamp(a + tile, max=length)
    return ((a == 0) | (r - radius >= a - context)) & ((b == length) | (r + radius <= b + context - 1))


def test_crop_with_short_context_differs_exactly_where_the_context_is_short(image):
    fn = _local_net(radius=3)
    diff = (tiled_forward(fn, image, SCALE, TileConfig(16, 1, "crop")) - fn(image)).abs().amax(dim=(0, 1))
    exact = _exact_mask(45, 16, 1, 3)[:, None] & _exact_mask(61, 16, 1, 3)[None, :]
    exact = exact.repeat_interleave(SCALE, 0).repeat_interleave(SCALE, 1)
    assert float(diff[exact].max()) < 1e-6
    assert float(diff[~exact].max()) > 1e-3  # a 1-px context cannot see 3 px: this test can fail


@pytest.mark.parametrize("blend", ["average", "feather"])
@pytest.mark.parametrize("batch", [1, 4])
def test_blends_are_exact_for_a_pointwise_network(image, blend, batch):
    out = tiled_forward(_pointwise, image, SCALE, TileConfig(16, 6, blend, batch=batch))
    assert torch.allclose(out, _pointwise(image), atol=1e-6)


def test_average_weights_count_the_tiles():
    # a network that returns 1 everywhere: "average" must still give exactly 1 (E / W)
    x = torch.zeros(1, 1, 40, 40)
    out = tiled_forward(lambda t: torch.ones(t.shape[0], 1, t.shape[2] * 2, t.shape[3] * 2), x, 2,
                        TileConfig(24, 8, "average"))  # fmt: skip
    assert torch.equal(out, torch.ones_like(out))


def test_feather_has_no_step_between_tiles():
    """Tiles that disagree by a constant blend over the overlap: no pixel-to-pixel step exceeds
    ``disagreement / (overlap * scale + 1)``, while ``"average"`` jumps by half of it at a tile edge."""
    calls = []

    def biased(t):  # each call returns a different constant: a worst case of tiles disagreeing
        calls.append(1)
        return torch.full((t.shape[0], 1, t.shape[2] * SCALE, t.shape[3] * SCALE), float(len(calls) % 2))

    x = torch.zeros(1, 1, 16, 40)
    overlap = 8
    feather = tiled_forward(biased, x, SCALE, TileConfig(16, overlap, "feather"))
    step = feather[0, 0, 8].diff().abs().max()
    assert float(step) <= 1 / (overlap * SCALE + 1) + 1e-6
    calls.clear()
    average = tiled_forward(biased, x, SCALE, TileConfig(16, overlap, "average"))
    assert float(average[0, 0, 8].diff().abs().max()) >= 0.5 - 1e-6


def test_images_in_a_batch_do_not_mix(image):
    fn = _local_net(radius=2)
    cfg = TileConfig(16, 4, "crop", batch=3)
    both = tiled_forward(fn, image, SCALE, cfg)
    for i in range(2):
        assert torch.allclose(both[i : i + 1], tiled_forward(fn, image[i : i + 1], SCALE, cfg), atol=1e-6)


def test_whole_image_when_tile_is_zero_or_covers_it(image):
    calls = []

    def fn(t):
        calls.append(t.shape)
        return _pointwise(t)

    tiled_forward(fn, image, SCALE, TileConfig(0, 10, "crop"))
    tiled_forward(fn, image, SCALE, TileConfig(64, 10, "crop"))
    assert calls == [image.shape, image.shape]


def test_tile_batches_stack_equal_sizes_only(image):
    shapes = []

    def fn(t):
        shapes.append(tuple(t.shape))
        return _pointwise(t)

    tiled_forward(fn, image[:1], SCALE, TileConfig(20, 0, "crop", batch=8))
    # 3 x 4 cells of 20 px with remainders 5 and 1: sizes 20x20 (x6), 20x1 (x2), 5x20 (x3), 5x1 (x1)
    assert sorted(shapes) == sorted([(6, 3, 20, 20), (2, 3, 20, 1), (3, 3, 5, 20), (1, 3, 5, 1)])


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"size": 16, "overlap": 16, "blend": "average"}, "smaller than the tile"),
        ({"size": 20, "overlap": 4, "blend": "average", "multiple": 8}, "multiple of 8"),
        ({"size": -1}, "integer >= 0"),
        ({"size": 16, "blend": "gaussian"}, "not one of"),
        ({"size": 16, "batch": 0}, "batch"),
    ],
    ids=["overlap", "multiple", "negative", "blend", "batch"],
)
def test_bad_configs_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TileConfig(**kwargs)


def test_clipped_tile_that_breaks_the_multiple_is_reported():
    x = torch.zeros(1, 3, 20, 100)  # min(32, 20, 100) = 20 px tiles: not a multiple of 8
    with pytest.raises(ValueError, match="not a multiple of 8"):
        tiled_forward(_pointwise, x, SCALE, TileConfig(32, 8, "average", multiple=8))
