"""Strict loading of the released LDM layouts: every key used or known unused, named errors otherwise."""

from __future__ import annotations

import json
import os
import sys
import types
from pathlib import Path

import pytest
import torch

from baselines.stablesr import configs, keys, loading
from pasd.models import CheckpointMismatchError
from tests.baselines.stablesr import tiny

SHARED = Path(
    os.environ.get("PASD_BENCH_REFERENCE", Path(__file__).resolve().parents[4] / "shared" / "reference")
)


def test_every_released_key_is_mapped_or_known_unused(tiny_models):
    cfg = configs.load_config(tiny.CONFIG_FILE)
    mapped = {
        loading.PREFIXES[c] + g.release
        for c in ("unet", "encoder", "first_stage", "text")
        for g in loading.key_groups(c, getattr(tiny_models, c))
    }
    released = set(tiny.LAYOUT["stablesr"])
    unused = sorted(released - mapped)
    assert all(loading._unused(k, cfg["text_config"]["layers"]) for k in unused)
    # exactly: the 12 schedule buffers, the last text block, the CLIP projection and temperature
    assert len([k for k in unused if "." not in k]) == 12
    assert {k.split(".")[-1] for k in unused if k.startswith("cond_stage")} >= {
        "text_projection",
        "logit_scale",
    }
    assert all(".resblocks.2." in k for k in unused if ".resblocks." in k)
    assert mapped <= released
    cfw = {g.release for g in loading.key_groups("cfw", tiny_models.cfw)}
    assert cfw == set(tiny.LAYOUT["cfw"])


def test_models_are_filled_and_in_eval_mode(tiny_models):
    for m in (
        tiny_models.unet,
        tiny_models.encoder,
        tiny_models.first_stage,
        tiny_models.cfw,
        tiny_models.text,
    ):
        assert not m.training
        assert all(p.device.type == "cpu" and p.dtype == torch.float32 for p in m.parameters())
    released = tiny.release_state("stablesr")
    got = tiny_models.unet.down_blocks[0].resnets[0].spade.mlp_gamma.weight
    assert torch.equal(got, released["model.diffusion_model.input_blocks.1.0.spade.mlp_gamma.weight"])


def _write(tmp_path: Path, state: dict) -> Path:
    path = tmp_path / "x.ckpt"
    torch.save({"state_dict": state}, path)
    return path


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda s: s.pop("model.diffusion_model.out.2.weight"), r"1 missing keys: out\.2\.weight"),
        (
            lambda s: s.update({"model.diffusion_model.extra.weight": torch.zeros(1)}),
            r"unexpected keys: extra\.weight",
        ),
        (
            lambda s: s.update({"model_ema.decay": torch.zeros(())}),
            r"no StableSR component: \['model_ema\.decay'\]",
        ),
        (
            lambda s: s.update({"structcond_stage_model.time_embed.0.bias": torch.zeros(7)}),
            r"time_embed\.0\.bias: checkpoint \[7\] vs model \[128\]",
        ),
    ],
    ids=["missing", "unexpected", "unknown-prefix", "shape"],
)
def test_mismatches_are_named(tmp_path, tiny_release, edit, match):
    state = tiny.release_state("stablesr")
    edit(state)
    with pytest.raises(CheckpointMismatchError, match=match):
        loading.load_stablesr(_write(tmp_path, state), tiny_release[1], configs.load_config(tiny.CONFIG_FILE))


def test_cfw_mismatch_is_named(tmp_path, tiny_release):
    state = tiny.release_state("cfw")
    del state["decoder.fusion_layer_1.encode_enc_2.0.rdb1.conv1.weight"]
    with pytest.raises(
        CheckpointMismatchError, match=r"CFW autoencoder .*fusion_layer_1\.encode_enc_2\.0\.rdb1"
    ):
        loading.load_stablesr(tiny_release[0], _write(tmp_path, state), configs.load_config(tiny.CONFIG_FILE))


def test_release_size_config_rejects_the_tiny_file(tiny_release):
    with pytest.raises(CheckpointMismatchError, match="shape mismatches"):
        loading.load_stablesr(*tiny_release)


def _fake_class(module: str, name: str, reduce=None) -> type:
    cls = type(name, (), {"__reduce__": reduce} if reduce else {})
    cls.__module__, cls.__qualname__ = module, name
    sys.modules.setdefault(module, types.ModuleType(module)).__dict__[name] = cls
    return cls


def test_read_state_dict_stands_in_for_pickled_classes(tmp_path):
    """Lightning checkpoints pickle classes (callbacks keyed by type) of a package we do not install."""
    cls = _fake_class("fake_lightning_cb", "ModelCheckpoint")
    try:
        torch.save({"state_dict": {"a": torch.ones(2)}, "callbacks": {cls: {"best": 1}}}, tmp_path / "c.ckpt")
    finally:
        del sys.modules["fake_lightning_cb"]
    assert list(loading.read_state_dict(tmp_path / "c.ckpt")) == ["a"]


def test_read_state_dict_never_runs_pickled_code(tmp_path):
    marker = tmp_path / "owned"
    cls = _fake_class("fake_evil", "Payload", lambda self: (os.system, (f"touch {marker}",)))
    try:
        torch.save({"state_dict": {"a": torch.ones(1)}, "x": cls()}, tmp_path / "evil.ckpt")
    finally:
        del sys.modules["fake_evil"]
    with pytest.raises(ValueError, match="cannot be loaded safely.*system"):
        loading.read_state_dict(tmp_path / "evil.ckpt")
    assert not marker.exists()


def test_bad_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="not found"):
        loading.read_state_dict(tmp_path / "nope.ckpt")
    torch.save([1, 2], tmp_path / "list.ckpt")
    with pytest.raises(ValueError, match="no state dict"):
        loading.read_state_dict(tmp_path / "list.ckpt")


def test_config_file_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        configs.load_config(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ValueError, match="not JSON"):
        configs.load_config(tmp_path / "bad.json")
    (tmp_path / "part.json").write_text(json.dumps({"unet_config": {}}))
    with pytest.raises(ValueError, match="lacks"):
        configs.load_config(tmp_path / "part.json")
    with pytest.raises(ValueError, match="use_scale_shift_norm"):
        configs.unet_kwargs({**configs.RELEASE_CONFIG["unet_config"], "use_scale_shift_norm": True})


def test_key_group_round_trips():
    """to_release inverts to_ours for every kind (the tiny release was written with to_release's layout)."""
    w = torch.randn(12, 4, 1)
    g = keys.KeyGroup("qkv.weight", ("a.to_q.weight", "a.to_k.weight", "a.to_v.weight"), "qkv", heads=2)
    q, k, v = g.to_ours(w)
    # head 0 rows 0-1 are q, 2-3 k, 4-5 v; head 1 follows (QKVAttentionLegacy's order)
    assert torch.equal(q, torch.cat([w[0:2, :, 0], w[6:8, :, 0]])) and torch.equal(v[2:], w[10:12, :, 0])
    assert torch.equal(g.to_release((q, k, v)), w)
    b = torch.randn(12)
    assert torch.equal(g.to_release(g.to_ours(b)), b)
    conv = keys.KeyGroup("q.weight", ("to_q.weight",), "conv2d")
    x = torch.randn(5, 5, 1, 1)
    assert conv.to_ours(x)[0].shape == (5, 5) and torch.equal(conv.to_release(conv.to_ours(x)), x)


@pytest.mark.skipif(
    not (SHARED / "stablesr_tiny_official").is_dir(), reason="project shared reference not here"
)
def test_shared_official_tiny_reference():
    """The shared tiny StableSR made by the official classes loads strictly and is reproduced (< 1e-4)."""
    from safetensors.torch import load_file

    root = SHARED / "stablesr_tiny_official"
    call = json.loads((root / "call.json").read_text())
    cfg = {
        **configs.load_config(tiny.CONFIG_FILE),
        **{k: call[k] for k in ("unet_config", "encoder_config", "vae_ddconfig")},
    }
    models = loading.empty_models(cfg)
    parts = loading.split_release(loading.read_state_dict(root / "stablesr_tiny.ckpt"), 3, "shared tiny")
    for c in ("unet", "encoder"):
        loading.fill(models[c], loading.key_groups(c, models[c]), parts[c], c)
    loading.fill(
        models["cfw"],
        loading.key_groups("cfw", models["cfw"]),
        loading.read_state_dict(root / "vqgan_cfw_tiny.ckpt"),
        "cfw",
    )
    inp, out = load_file(root / "inputs.safetensors"), load_file(root / "outputs.safetensors")

    def rel(a, b):
        return ((a - b).abs().max() / b.abs().max()).item()

    with torch.no_grad():
        struct = models["encoder"](inp["lq_latent"], inp["t"])
        for k, v in struct.items():
            assert rel(v, out[f"struct_{k}"]) < 1e-4, k
        ref_struct = {k[len("struct_") :]: v for k, v in out.items() if k.startswith("struct_")}
        eps = models["unet"](inp["x"], inp["t"], inp["context"], struct_cond=ref_struct).sample
        assert rel(eps, out["eps"]) < 1e-4
        post, feats = models["cfw"].encode_with_features(inp["image"])
        assert rel(post.mode(), out["vae_z"]) < 1e-4
        assert (
            rel(models["cfw"].decode_with_fusion(post.mode(), feats, call["fusion_w"]), out["vae_dec"]) < 1e-4
        )
