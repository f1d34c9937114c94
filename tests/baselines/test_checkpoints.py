"""Wrapper-key rules: each official loader's choice between ``params_ema``, ``params`` and a bare dict."""

import pytest
import torch

from baselines.checkpoints import KEY_RULES, select_state_dict

A, B = {"w": torch.zeros(1)}, {"w": torch.ones(1)}


@pytest.mark.parametrize(
    "rule,loaded,chosen",
    [
        ("params_ema>params", {"params": A, "params_ema": B}, "params_ema"),  # RealESRGANer
        ("params_ema>params", {"params": A}, "params"),
        ("params>raw", {"params": A, "params_ema": B}, "params"),  # basicsr load_network, LDL's yml
        ("params>raw", A, "raw"),
        ("params_ema>raw", {"params_ema": B}, "params_ema"),  # main_test_swinir.py real_sr
        ("params_ema>raw", B, "raw"),
        ("params", {"params": A, "params_ema": B}, "params"),  # inference_femasr.py
        ("raw", A, "raw"),  # main_test_bsrgan.py
    ],
)
def test_rules_pick_what_the_official_loader_picks(rule, loaded, chosen):
    state, got = select_state_dict(loaded, rule)
    assert got == chosen
    assert torch.equal(state["w"], (loaded if chosen == "raw" else loaded[chosen])["w"])


@pytest.mark.parametrize(
    "rule,loaded",
    [("params_ema>params", A), ("params", {"params_ema": B}), ("raw", {"params_ema": B})],
    ids=["realesrganer-bare", "femasr-ema-only", "bsrgan-wrapped"],
)
def test_files_the_official_loader_rejects_are_rejected(rule, loaded):
    with pytest.raises(ValueError, match=f"rule {rule!r} needs"):
        select_state_dict(loaded, rule, "x.pth")


def test_dataparallel_prefix_is_stripped_and_rules_are_checked():
    state, _ = select_state_dict({"params": {"module.w": torch.zeros(1)}}, "params>raw")
    assert list(state) == ["w"]
    with pytest.raises(ValueError, match="not one of"):
        select_state_dict(A, "ema")
    assert set(KEY_RULES) >= {"params_ema>params", "params>raw", "params_ema>raw", "params", "raw"}
