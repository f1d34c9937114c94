"""Table 2's protocol as data: one style model for every method, ``--set``, and the FID reference set."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from benchmarks.cli import cli
from benchmarks.results import ResultsStore
from benchmarks.runner.execute import run_preset
from benchmarks.runner.plan import build_plan, format_plan
from benchmarks.runner.preset import load_preset
from tests.benchmarks.runner import table2_toy
from tests.threads import one_thread_fixture

TABLE2_METHODS = (
    "cartoongan",
    "animegan",
    "dct-net",
    "instructpix2pix",
    "sd-img2img",
    "controlnet",
    "pasd-stylize",
)
DIFFUSION = ("instructpix2pix", "sd-img2img", "controlnet", "pasd-stylize")


_one_thread = one_thread_fixture()


def test_table2_plan_lists_all_seven_methods(isolated_caches):
    preset = load_preset("table2", isolated_caches / "data")
    plan = build_plan(preset, isolated_caches / "out")
    states = {j.method.name: (j.state, j.reason) for j in plan.jobs}
    assert set(states) == set(TABLE2_METHODS)
    for name, (state, reason) in states.items():
        # no FFHQ/Flickr2K here: data-missing comes first, and the reason still names the weights
        assert state in ("ready", "cached", "weights-missing", "not-available", "data-missing"), (name, state)
        assert "no adapter" not in reason
    assert states["cartoongan"][0] == "data-missing"
    assert states["cartoongan"][1].endswith("also weights missing: pasd-bench weights fetch cartoongan-hayao")
    for name in DIFFUSION:
        assert "pasd-bench weights fetch toonyou" in states[name][1]  # the style model names its artifact
    if states["dct-net"][0] == "not-available":
        assert "not available: pip install pasd-bench[dctnet]" in states["dct-net"][1]
    text = format_plan(plan)
    assert "pasd-bench[dctnet]" in text  # a pip extra, not swallowed as rich markup
    assert "shared: style_model=toonyou" in text
    assert "reference set" in text and "style-exemplars" in text


def test_shared_style_model_reaches_every_method_that_takes_it(isolated_caches, tmp_path):
    style = tmp_path / "my_toon.safetensors"
    style.write_bytes(b"")
    preset = load_preset("table2", overrides=[f"style_model={style}"])
    params = {m.name: m.params for m in preset.methods}
    for name in DIFFUSION:
        assert params[name]["style_model"] == str(style)
    for name in ("cartoongan", "animegan", "dct-net"):
        assert "style_model" not in params[name]
    assert preset.shared == {"style_model": str(style)}
    assert preset.as_dict()["shared"] == {"style_model": str(style)}  # recorded with the run
    plan = build_plan(preset, tmp_path / "out")
    sd = next(j for j in plan.jobs if j.method.name == "sd-img2img")
    assert "toonyou" not in sd.reason  # a path needs no artifact


def test_set_parses_values_and_rejects_what_no_method_takes(tmp_path):
    p = load_preset("table2", overrides=["reference.n=12", "reference.seed=3"])
    assert (p.reference["n"], p.reference["seed"], p.reference["generated"]) == (12, 3, "toonyou")
    p = load_preset("table2", overrides=[f"reference.folder={tmp_path}"])
    assert p.reference == {"folder": str(tmp_path)}  # switching kind replaces the set
    assert load_preset("table2", overrides=["reference=none"]).reference is None
    with pytest.raises(ValueError, match="taken by none of its methods"):
        load_preset("table2", overrides=["styel_model=x"])
    with pytest.raises(ValueError, match="KEY=VALUE"):
        load_preset("table2", overrides=["style_model"])
    assert (
        load_preset("table2", overrides=["reference.folder=/x", "reference.generated=toonyou"]).reference[
            "generated"
        ]
        == "toonyou"
    )  # the later kind wins, whole
    both = tmp_path / "both.toml"
    text = load_preset("table2").source and open(load_preset("table2").source).read()
    both.write_text(text.replace('generated = "toonyou"', 'generated = "toonyou"\nfolder = "/x"'))
    with pytest.raises(ValueError, match="exactly one of"):
        load_preset(both)
    with pytest.raises(ValueError, match="unknown keys"):
        load_preset("table2", overrides=["reference.steeps=3"])


def test_run_cli_set_and_plan_only(isolated_caches, tmp_path):
    res = CliRunner().invoke(
        cli, ["run", "table2", "--plan-only", "--set", "style_model=/nowhere/t.safetensors"]
    )
    # the plan is printed in full; no FFHQ / Flickr2K here, so it is refused (exit 2) naming them
    assert res.exit_code == 2, res.output
    assert "neither a pasd.hub" in res.output and "not-available" in res.output
    assert "dataset ffhq-100 is missing" in res.output
    res = CliRunner().invoke(cli, ["run", "table2", "--plan-only", "--set", "bogus=1"])
    assert res.exit_code != 0 and "taken by none" in res.output


@pytest.fixture(scope="module")
def t2_home(tmp_path_factory):
    """Released-format GAN weights, tiny diffusion artifacts, random metric weights (built once)."""
    from baselines.archs import AnimeGANv2Generator, CartoonGANGenerator
    from benchmarks.metrics.random_weights import build_weights
    from tests.baselines import tiny_diffusion
    from tests.baselines.gan_weights import save_released

    home = tmp_path_factory.mktemp("t2-home")
    save_released(CartoonGANGenerator(), home / "weights" / "cartoongan-hayao" / "Hayao_net_G_float.pth")
    save_released(AnimeGANv2Generator(), home / "weights" / "animeganv2-paprika" / "paprika.pt")
    tiny_diffusion.write_all(home / "weights")
    build_weights(home, table2_toy.METRIC_ARTIFACTS)
    table2_toy.write_combined_table(home / "artifacts.toml")
    return home


@pytest.fixture
def t2_env(isolated_caches, t2_home, monkeypatch):
    """A stylization dataset and the module's weights home (``PASD_BENCH_HOME`` and artifact table)."""
    table2_toy.register()
    monkeypatch.setenv("PASD_BENCH_HOME", str(t2_home))
    monkeypatch.setenv("PASD_BENCH_ARTIFACTS", str(t2_home / "artifacts.toml"))
    return isolated_caches, table2_toy.make_photos(isolated_caches / "data")


METHODS = [("cartoongan", {"load_size": 64}), ("sd-img2img", {"steps": 2, "resolution": 64})]
#: every Table 2 method that runs without the [dctnet] extra
ALL_METHODS = METHODS + [
    ("animegan", {}),
    ("controlnet", {"steps": 2, "resolution": 64, "control": "canny"}),
    ("instructpix2pix", {"steps": 2, "resolution": 64}),
]


def _cells(out):
    with ResultsStore(out) as store:
        df = store.set_level()
    return {(r.method, r.metric): (r.status, r.value, r.note) for r in df.itertuples()}


def test_table2_without_reference_set(t2_env):
    tmp, data = t2_env
    preset = load_preset(table2_toy.write_preset(tmp / "p.toml", data, None, METHODS))
    summary = run_preset(preset, tmp / "out", progress=False)
    assert summary.made == 4 and not summary.failures
    cells = _cells(tmp / "out")
    for method, _ in METHODS:
        for metric in ("fid", "clipfid"):
            status, value, note = cells[(method, metric)]
            assert status == "not-available" and np.isnan(value) and note.startswith("no reference set")
        status, value, _ = cells[(method, "musiq")]
        assert status == "ok" and np.isfinite(value)  # MUSIQ needs no reference: still scored
    res = CliRunner().invoke(cli, ["tables", "--results", str(tmp / "out"), "--table", "2"])
    assert res.exit_code == 0, res.output
    assert "no reference set" in res.output
    assert "CartoonGAN (released weights)" in res.output
    assert "the paper retrained these on ToonYou outputs - not comparable" in res.output
    assert "FID/CLIP-FID reference set: no reference set" in res.output
    assert "Personalized base model (style_model) of the diffusion rows and PASD: toonyou" in res.output


def test_table2_with_a_reference_folder(t2_env):
    tmp, data = t2_env
    ref = table2_toy.make_photos(tmp / "ref", names=("r0.png", "r1.png", "r2.png"), size=(40, 40),
                                 photos=("astronaut", "rocket", "coffee"))  # fmt: skip
    preset = load_preset(
        table2_toy.write_preset(tmp / "p.toml", data, f'{{ folder = "{ref}" }}', ALL_METHODS)
    )
    summary = run_preset(preset, tmp / "out", progress=False)
    assert summary.made == 2 * len(ALL_METHODS) and not summary.failures
    again = run_preset(preset, tmp / "out", progress=False)  # cached per method, params, input and seed
    assert again.made == 0 and again.reused == 2 * len(ALL_METHODS)
    cells = _cells(tmp / "out")
    from benchmarks.metrics.frechet import frechet_distance_from_features
    from benchmarks.metrics.registry import create_metric
    from benchmarks.runner.output_cache import OutputCache  # noqa: F401  (layout documented there)

    for method, _ in ALL_METHODS:
        for metric in ("fid", "clipfid"):
            status, value, note = cells[(method, metric)]
            assert status == "ok" and np.isfinite(value), (method, metric, note)
            assert f"reference: folder {ref}" in note and "(3 images)" in note
    # independent recomputation of one value: features of both folders, Frechet distance
    from PIL import Image

    outs = sorted((tmp / "out" / "outputs").rglob("*.png"))
    cg = [np.asarray(Image.open(p)) for p in outs if "cartoongan" in str(p)]
    fid = create_metric("fid")
    refs = [np.asarray(Image.open(ref / n)) for n in ("r0.png", "r1.png", "r2.png")]
    want = frechet_distance_from_features(fid.extractor(cg), fid.extractor(refs), "auto")
    assert cells[("cartoongan", "fid")][1] == pytest.approx(want, rel=1e-6)
    with ResultsStore(tmp / "out") as store:
        assert store.run(store.latest_run_id())["config"]["reference"] == {"folder": str(ref)}
    res = CliRunner().invoke(cli, ["tables", "--results", str(tmp / "out"), "--table", "2"])
    assert f"FID/CLIP-FID reference set: folder {ref}." in res.output
    assert "ControlNet control type: canny" in res.output
    assert (
        "AnimeGAN (released weights): AnimeGANv2 PyTorch-port weights (the paper cites AnimeGAN v1)"
        in res.output
    )


def test_style_exemplars_make_a_seeded_hashed_reference(t2_env):
    tmp, data = t2_env
    ref = '{ generated = "toonyou", n = 2, seed = 5, steps = 2, size = 64 }'
    p = table2_toy.write_preset(tmp / "p.toml", data, ref, [("cartoongan", {"load_size": 64})], style=False)
    plan = build_plan(load_preset(p), tmp / "out")
    assert "not generated yet" in format_plan(plan)
    runner = CliRunner()
    res = runner.invoke(cli, ["style-exemplars", "--preset", str(p), "--no-progress"])
    assert res.exit_code == 0, res.output
    from benchmarks.exemplars import exemplar_dir

    folder = exemplar_dir(load_preset(p).reference)  # under $PASD_BENCH_HOME/references
    manifest = json.loads((folder / "manifest.json").read_text())
    assert sorted(manifest["files"]) == ["00000.png", "00001.png"] and manifest["settings"]["seed"] == 5
    again = runner.invoke(
        cli, ["style-exemplars", "--preset", str(p), "--no-progress", "--out", str(tmp / "again")]
    )
    assert again.exit_code == 0, again.output
    assert json.loads((tmp / "again" / "manifest.json").read_text())["digest"] == manifest["digest"]  # seeded
    run_preset(load_preset(p), tmp / "out", progress=False)
    status, value, note = _cells(tmp / "out")[("cartoongan", "fid")]
    assert status == "ok" and f"digest {manifest['digest'][:16]}" in note
    bad = runner.invoke(cli, ["style-exemplars", "--model", "/nowhere/x.safetensors", "--n", "1"])
    assert bad.exit_code != 0 and "neither a pasd.hub artifact" in bad.output
