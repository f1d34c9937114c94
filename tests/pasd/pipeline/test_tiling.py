import pytest
import torch

from pasd.pipeline.tiling import gaussian_weights, tile_starts, tiled_predict


@pytest.mark.parametrize(("length", "tile", "overlap"), [(10, 10, 2), (33, 10, 3), (100, 32, 8), (17, 16, 8)])
def test_tile_starts_cover_with_overlap(length, tile, overlap):
    starts = tile_starts(length, tile, overlap)
    assert starts[0] == 0 and starts[-1] + tile == length
    for a, b in zip(starts, starts[1:]):
        assert tile - (b - a) >= overlap


def test_tile_starts_rejects_bad_overlap():
    with pytest.raises(ValueError, match="overlap"):
        tile_starts(20, 8, 8)


def test_gaussian_weights_official_centres():
    w = gaussian_weights(9)
    assert w.dtype == torch.float64
    # x centre (n-1)/2 = 4: symmetric columns; y centre n/2 = 4.5: rows 4 and 5 tie
    torch.testing.assert_close(w, w.flip(1))
    assert torch.isclose(w[4], w[5]).all() and (w[4] > w[3]).all()


@pytest.mark.parametrize("tile_batch", [1, 3])
def test_pointwise_predict_is_unchanged_by_tiling(tile_batch):
    latents, control = torch.randn(2, 4, 20, 28), torch.rand(2, 3, 160, 224)

    def predict(lat, ctl, cond):
        # pointwise in latent space, and uses the control tile to check it is the matching crop
        return lat * 2 + torch.nn.functional.avg_pool2d(ctl, 8).mean(1, keepdim=True)

    expected = predict(latents, control, None)
    got = tiled_predict(predict, latents, control, tile=12, overlap=4, tile_batch=tile_batch)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=1e-5)


def test_shape_mismatch_is_rejected():
    with pytest.raises(ValueError, match="does not match"):
        tiled_predict(lambda a, b, c: a, torch.zeros(1, 4, 8, 8), torch.zeros(1, 3, 60, 64))
