"""StableSR methods behind the Method interface, end to end on a tiny release in the released layout."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest
import torch
from PIL import Image

from baselines.base import METHODS, create_method
from tests.baselines.stablesr import tiny
from tests.baselines.stablesr.fixtures import tiny_release  # noqa: F401

#: tiny-release settings: latent tile 8 (input_size 64) so a 16 px LQ gives one tile, 2 steps
FAST = {"steps": 2, "input_size": 64, "tile_overlap": 4}


@pytest.fixture
def weights_home(isolated_caches, tiny_release):  # noqa: F811 (the imported fixture)
    """The tiny release where pasd.hub looks first: $PASD_BENCH_HOME/weights/<artifact>/<file>."""
    home = isolated_caches / "pasd-home" / "weights"
    for artifact, src in (
        ("stablesr", tiny_release[0]),
        ("stablesr-turbo", tiny_release[0]),
        ("stablesr-cfw", tiny_release[1]),
    ):
        name = {"stablesr": "stablesr_000117.ckpt", "stablesr-turbo": "stablesr_turbo.ckpt"}.get(
            artifact, src.name
        )
        (home / artifact).mkdir(parents=True, exist_ok=True)
        (home / artifact / name).symlink_to(src)
    return home


@pytest.fixture(scope="module")
def lq():
    from skimage.data import chelsea

    return np.asarray(Image.fromarray(chelsea()).resize((24, 16), Image.BICUBIC))


def test_registered_with_the_papers_flags():
    for name in ("stablesr", "stablesr-turbo"):
        assert name in METHODS
    m = create_method("stablesr")
    assert m.stochastic and m.scale == 4 and m.weights == ("stablesr", "stablesr-cfw") and m.version == "1"
    assert {k: m.options[k] for k in ("steps", "dec_w", "color_fix", "input_size", "tile_overlap", "seed_offset")} == {
        "steps": 200, "dec_w": 0.5, "color_fix": "adain", "input_size": 512, "tile_overlap": 32, "seed_offset": 42,
    }  # fmt: skip
    assert (m.options["vae_tile_size"], m.options["vae_tile_stride"]) == (1280, 1000)
    turbo = create_method("stablesr-turbo")
    assert turbo.weights == ("stablesr-turbo", "stablesr-cfw")
    assert (turbo.options["steps"], turbo.options["color_fix"]) == (4, "wavelet")
    assert create_method("stablesr", steps=50).options["steps"] == 50


def test_bad_params_fail_at_construction():
    with pytest.raises(ValueError, match=r"unknown params \['ddim_steps'\]"):
        create_method("stablesr", ddim_steps=20)
    with pytest.raises(ValueError, match="color_fix 'median' is not one of"):
        create_method("stablesr", color_fix="median")
    with pytest.raises(ValueError, match="steps must be in"):
        create_method("stablesr", steps=0)
    with pytest.raises(ValueError, match="tile_overlap"):
        create_method("stablesr", tile_overlap=64)


def test_missing_weights_name_the_fetch_command(isolated_caches):
    from pasd.hub import MissingWeightsError

    assert create_method("stablesr").missing_weights() == ["stablesr", "stablesr-cfw"]
    with pytest.raises(MissingWeightsError, match="pasd-bench weights fetch stablesr"):
        create_method("stablesr")(np.zeros((8, 8, 3), np.uint8), seed=0)


def test_plan_shows_weights_missing(isolated_caches):
    from benchmarks.runner.plan import build_plan
    from benchmarks.runner.preset import load_preset

    plan = build_plan(load_preset("table1"), isolated_caches / "out")
    jobs = [j for j in plan.jobs if j.method.name == "stablesr"]
    assert jobs and all(j.state == "data-missing" for j in jobs)  # no datasets here: data first
    assert "pasd-bench weights fetch stablesr; pasd-bench weights fetch stablesr-cfw" in jobs[0].reason
    entry = next(m for m in load_preset("table1").methods if m.name == "stablesr")
    assert entry.params == {"steps": 200, "dec_w": 0.5, "color_fix": "adain", "input_size": 512,
                            "tile_overlap": 32, "vae_tile_size": 1280, "vae_tile_stride": 1000,
                            "seed_offset": 42}  # fmt: skip


@pytest.mark.parametrize("name", ["stablesr", "stablesr-turbo"])
def test_tiny_release_end_to_end(weights_home, lq, name):
    m = create_method(name, model_config=str(tiny.CONFIG_FILE), **FAST)
    a = m(lq, seed=0)
    assert a.shape == (64, 96, 3) and a.dtype == np.uint8
    assert np.array_equal(a, m(lq, seed=0)), "same seed, same bytes"
    assert not np.array_equal(a, m(lq, seed=1))


def test_golden_slice(weights_home, lq):
    """Pins the numerics of the whole procedure (seed 0 + offset 42, 2 steps, AdaIN)."""
    out = create_method("stablesr", model_config=str(tiny.CONFIG_FILE), **FAST)(lq, seed=0)
    expected = np.array(GOLDEN, dtype=np.uint8)
    assert np.array_equal(out[-3:, -3:, 0], expected), out[-3:, -3:, 0].tolist()


GOLDEN = [[132, 127, 124], [124, 122, 127], [137, 133, 131]]


class _Oracle:
    """Stands in for the encoder + UNet: predicts exactly the noise that makes x0 the LQ latent.

    With it every denoising step keeps x0 = LQ latent, the last step (respaced index 0, coef1 = 1,
    coef2 = 0) returns it, and StableSR reduces to a CFW round trip of the LQ, whatever the noise.
    Tiling then can only change the result through how tiles are cut and blended.
    """

    def __init__(self, pipe):
        self.abar = pipe._schedule(2).q_sqrt_abar.double() ** 2

    def encoder(self, lq_latent, t):
        return {"lat": lq_latent}

    def unet(self, x, t, context, struct_cond):
        from types import SimpleNamespace

        a = self.abar[t[0].item()]
        return SimpleNamespace(sample=((x - a.sqrt() * struct_cond["lat"]) / (1 - a).sqrt()).float())


def _with_oracle(method):
    method.load()
    method._loaded = True
    oracle = _Oracle(method.pipe)
    method.pipe.models.encoder, method.pipe.models.unet = oracle.encoder, oracle.unet
    return method


def test_tiled_vs_untiled_is_bounded(weights_home):
    """Latent canvas tiles and VAE patches versus one piece, with the oracle denoiser."""
    import torch.nn.functional as F
    from skimage.data import astronaut

    from baselines.stablesr.settings import StableSRSettings

    lq = np.asarray(Image.fromarray(astronaut()).resize((48, 48), Image.BICUBIC))
    base = {"model_config": str(tiny.CONFIG_FILE), "steps": 2, "color_fix": "nofix"}
    one = _with_oracle(create_method("stablesr", **base, input_size=192, tile_overlap=8))(
        lq, seed=0
    )  # 24: one tile
    method = _with_oracle(create_method("stablesr", **base, input_size=64, tile_overlap=4))  # 5x5 tiles of 8
    canvas = method(lq, seed=0)
    # a pointwise oracle makes overlapping tiles agree, so the Gaussian blend must give the one-tile answer
    assert one.shape == canvas.shape == (192, 192, 3)
    assert np.abs(one.astype(int) - canvas.astype(int)).max() <= 1
    # VAE patches (2x2 of 128 px, stride 64): each pixel is a convex blend of the patches covering it,
    # and the corner only patch (0, 0) covers is that patch's own result
    pipe = method.pipe
    settings = StableSRSettings(
        steps=2, color_fix="nofix", input_size=64, tile_overlap=4, vae_tile_size=128, vae_tile_stride=64
    )
    x = torch.from_numpy(lq.astype(np.float32) / 127.5 - 1).permute(2, 0, 1)[None]
    x = F.interpolate(x, size=(192, 192), mode="bicubic").clamp(-1, 1)
    with torch.no_grad():
        blended = pipe._patched(x, 42, settings, False)
        pieces = [
            pipe._restore(x[:, :, y : y + 128, x0 : x0 + 128], 42, settings, False)
            for y in (0, 64)
            for x0 in (0, 64)
        ]
    lo, hi = torch.full_like(x, np.inf), torch.full_like(x, -np.inf)
    for (y, x0), piece in zip([(0, 0), (0, 64), (64, 0), (64, 64)], pieces):
        lo[:, :, y : y + 128, x0 : x0 + 128] = torch.minimum(lo[:, :, y : y + 128, x0 : x0 + 128], piece)
        hi[:, :, y : y + 128, x0 : x0 + 128] = torch.maximum(hi[:, :, y : y + 128, x0 : x0 + 128], piece)
    assert bool(((blended >= lo - 1e-5) & (blended <= hi + 1e-5)).all())
    assert torch.allclose(blended[:, :, :64, :64], pieces[0][:, :, :64, :64], atol=1e-6)
    assert not torch.allclose(blended[:, :, 64:128, 64:128], pieces[0][:, :, 64:128, 64:128])


def test_runs_through_the_runner(weights_home, tmp_path):
    from benchmarks.results import ResultsStore
    from benchmarks.runner.execute import run_preset
    from benchmarks.runner.preset import load_preset
    from tests.benchmarks.runner import toy

    toy.register()
    data = toy.make_toy_data(tmp_path / "data", ids=("a", "b"))
    params = json.dumps({**FAST, "model_config": str(tiny.CONFIG_FILE)}).replace('":', '" =')
    preset = tmp_path / "p.toml"
    preset.write_text(
        textwrap.dedent(f"""\
        name = "stablesr-tiny"
        task = "real-isr"
        seeds = [0]
        metrics = ["psnr"]
        [[datasets]]
        name = "toy"
        root = "{data}"
        [[methods]]
        name = "stablesr"
        params = {params.replace("{", "{ ").replace("}", " }")}
        """)
    )
    summary = run_preset(load_preset(preset), tmp_path / "out", progress=False)
    assert summary.made == 2 and not summary.failures
    with ResultsStore(tmp_path / "out") as store:
        per = store.per_image(method="stablesr")
    assert len(per[per.metric == "psnr"]) == 2
    outputs = sorted((tmp_path / "out" / "outputs").rglob("*.png"))
    assert len(outputs) == 2 and Image.open(outputs[0]).size == (48, 48)


def test_pasd_bench_apply(weights_home, tmp_path, capsys):
    """``pasd-bench apply stablesr`` (the command arrives with issue 11b; skipped on branches without it)."""
    pytest.importorskip("benchmarks.commands.apply", reason="pasd-bench apply is not on this branch yet")
    from skimage.data import astronaut

    from benchmarks.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(astronaut()).resize((24, 16)).save(folder / "astro.png")
    args = ["apply", "stablesr", str(folder), "--out", str(tmp_path / "out"), "--no-progress",
            "--param", f"model_config={tiny.CONFIG_FILE}", *(f"--param={k}={v}" for k, v in FAST.items())]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    (png,) = sorted((tmp_path / "out").rglob("astro.png"))
    assert Image.open(png).size == (96, 64)
    m = create_method("stablesr", model_config=str(tiny.CONFIG_FILE), **FAST)
    assert np.array_equal(
        np.asarray(Image.open(png)), m(np.asarray(Image.open(folder / "astro.png")), seed=0)
    )


def test_small_unaligned_input_is_cropped_to_exactly_4x(weights_home):
    """Short side under input_size / 4 and unaligned sides: the official script keeps its (scaled)
    reflect padding in the output; the adapter returns the 4x region of that output."""
    lq = np.asarray(Image.fromarray(np.full((12, 20, 3), 128, np.uint8)))
    m = create_method("stablesr", model_config=str(tiny.CONFIG_FILE), **FAST)
    out = m(lq, seed=0)
    # 12x20 -> x5.33 -> 64x106, padded to 96x128 (the script pads both sides once one is unaligned),
    # sampled, scaled by 4/5.33 to 72x96 and cropped to the upsampled size 64x106: 64x96 remain
    raw = m.pipe(lq, 42, m.settings)
    assert raw.shape == (64, 96, 3) and out.shape == (48, 80, 3)
    assert np.array_equal(out, raw[:48, :80])
