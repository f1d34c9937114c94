"""What every feed-forward baseline shares: options, errors, batching, tiled-vs-untiled seams, the plan."""

import numpy as np
import pytest
import torch

from baselines import METHODS, MethodNotAvailableError, create_method
from tests.baselines.helpers import max_diff, photo

#: method -> artifact (the Table 1 names and both SwinIR variants)
ARTIFACTS = {
    "realesrgan": "realesrgan-x4plus", "bsrgan": "bsrgan", "ldl": "ldl", "femasr": "femasr-x4",
    "swinir-gan": "swinir-gan-realsr", "swinir-gan-l": "swinir-gan-realsr", "swinir-gan-m": "swinir-gan-realsr-m",
}  # fmt: skip
TINY = ("realesrgan", "bsrgan", "ldl", "swinir-gan-m", "swinir-gan-l")


def test_registered_with_their_artifacts():
    pytest.importorskip("spandrel_extra_arches")
    for name, artifact in ARTIFACTS.items():
        m = create_method(name)
        assert name in METHODS and m.weights == (artifact,)
        assert m.scale == 4 and not m.stochastic and m.task == "real-isr"


def test_options_hold_every_setting():
    o = create_method("bsrgan", tile=64).options
    assert o == {"tile": 64, "tile_overlap": 32, "tile_blend": "feather", "tile_batch": 4, "batch": 4,
                 "dtype": "fp32", "param_key": "raw", "pad": "none", "rounding": "round"}  # fmt: skip
    assert create_method("bsrgan", device="cuda").options["dtype"] == "fp32"  # KAIR never halves


@pytest.mark.parametrize(
    "params,match",
    [
        ({"tiles": 3}, "unknown params.*allowed"),
        ({"dtype": "int8"}, "dtype 'int8' is not one of"),
        ({"tile_blend": "gauss"}, "not one of"),
        ({"tile": 16, "tile_overlap": 20, "tile_blend": "feather"}, "smaller than the tile"),
        ({"batch": 0}, "batch must be"),
        ({"param_key": "ema"}, "param_key 'ema' is not one of"),
    ],
    ids=["unknown", "dtype", "blend", "overlap", "batch", "param_key"],
)
def test_bad_params_are_rejected_at_construction(params, match):
    with pytest.raises(ValueError, match=match):
        create_method("bsrgan", **params)


def test_missing_weights_name_the_fetch_command(isolated_caches, lq):
    from pasd.hub import MissingWeightsError

    for name in TINY:
        assert create_method(name).missing_weights() == [ARTIFACTS[name]]
    with pytest.raises(MissingWeightsError, match="pasd-bench weights fetch realesrgan-x4plus"):
        create_method("realesrgan")(lq)


def test_table1_plan_shows_ready_or_weights_missing(isolated_caches, release, tmp_path):
    from benchmarks.runner.plan import build_plan
    from benchmarks.runner.preset import load_preset

    mine = {"bsrgan", "realesrgan", "ldl", "femasr", "swinir-gan"}
    jobs = [j for j in build_plan(load_preset("table1"), tmp_path / "out").jobs if j.method.name in mine]
    assert {j.method.name for j in jobs} == mine
    for j in jobs:  # no datasets here: data first, and the reason still names the weights to fetch
        assert j.state == "data-missing"
        assert j.reason.endswith(f"also weights missing: pasd-bench weights fetch {ARTIFACTS[j.method.name]}")
    release("bsrgan")
    jobs = [j for j in build_plan(load_preset("table1"), tmp_path / "out").jobs if j.method.name == "bsrgan"]
    assert {j.state for j in jobs} <= {"ready", "data-missing"}  # weights found; no datasets here


def test_corrupt_or_foreign_checkpoint_is_a_clear_error(release, lq):
    path = release("realesrgan")
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot read checkpoint"):
        create_method("realesrgan")(lq)
    swin = release("swinir-gan-m")
    path.write_bytes(swin.read_bytes())  # a SwinIR file where RRDBNet belongs
    with pytest.raises(ValueError, match="expected a x4 ESRGAN model, spandrel found x4 SwinIR"):
        create_method("realesrgan")(lq)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error on a machine without CUDA")
def test_cuda_without_cuda_is_not_available(release, lq):
    release("bsrgan")
    with pytest.raises(MethodNotAvailableError, match="CUDA is not available"):
        create_method("bsrgan", device="cuda")(lq)


@pytest.mark.parametrize("name", ["realesrgan", "swinir-gan-m"])
def test_batches_of_equal_size_images_match_single_runs(release, name):
    release(name)
    images = [photo(24, 32, y=40 * i) for i in range(3)] + [photo(20, 28)] + [photo(24, 32, y=200)]
    m = create_method(name, batch=2)
    calls = []
    forward = m._forward
    m._forward = lambda x: calls.append(x.shape[0]) or forward(x)
    outs = m.process_batch(images, [None] * len(images))
    assert sorted(calls) == [1, 2, 2]  # four 24x32 images in two pairs, the 20x28 one alone
    single = create_method(name, batch=1)
    for img, out in zip(images, outs):
        assert out.shape == (img.shape[0] * 4, img.shape[1] * 4, 3)
        assert max_diff(out, single(img)) <= 1


#: (method, tile params, image size, max level difference, mean level difference) for an image that
#: needs 2 x 2 tiles, tiled vs whole, with the method's own tile rule. Measured on these random
#: weights (2026-12-01): realesrgan max 1; bsrgan / ldl max 2, mean 0.04; swinir-gan-m max 11,
#: mean 0.33; swinir-gan-l max 16, mean 0.21. The bounds leave room for BLAS differences; a tile
#: placed one pixel off moves the mean by several levels. Real weights have larger receptive
#: fields: these bound the plumbing, not the seams of a real run. FeMaSR is left out: its per-tile
#: flip-pad and codebook lookups change whole tiles (max 35, mean 3.4 at 32-px cells), which is
#: its official behaviour; its tiling is checked against test_tile itself.
SEAMS = [
    ("realesrgan", {"tile": 32}, (40, 52), 2, 0.05),
    ("bsrgan", {"tile": 48}, (64, 64), 4, 0.1),
    ("ldl", {"tile": 48}, (64, 64), 4, 0.1),
    ("swinir-gan-m", {"tile": 48}, (56, 56), 24, 0.6),
    ("swinir-gan-l", {"tile": 48}, (56, 56), 24, 0.6),
]


@pytest.mark.parametrize("name,params,size,max_level,mean_level", SEAMS, ids=[s[0] for s in SEAMS])
def test_tiled_vs_whole_seams_are_bounded(release, name, params, size, max_level, mean_level):
    release(name)
    img = photo(*size)
    m = create_method(name, tile_batch=1, **params)
    calls = []
    forward = m._forward
    m._forward = lambda x: calls.append(x.shape) or forward(x)
    tiled = m(img)
    assert len(calls) == 4  # the image really needed four tiles
    whole = create_method(name)(img)
    diff = np.abs(tiled.astype(int) - whole.astype(int))
    assert diff.max() <= max_level and diff.mean() <= mean_level


def test_out_of_memory_says_how_to_tile(release, lq):
    release("bsrgan")
    m = create_method("bsrgan")

    def oom(x):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")

    m._procedure = oom
    with pytest.raises(
        RuntimeError, match=r"out of GPU memory on 1 image\(s\) of 37x53 px; set the param tile"
    ):
        m(lq)
