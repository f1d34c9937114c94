"""The training loop on tiny models (CPU): learning, frozen weights, Table 3 switches, resume, atomic saves."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from pasd.training.checkpoint import is_complete, latest_checkpoint, list_checkpoints
from pasd.training.trainer import train
from tests.pasd.training.helpers import REF_STEPS, read_log, state_of, tiny_config

#: the reference run's first logged step (loss, L_DF, L_DR): pins the whole recipe's numerics
GOLDEN_STEP1 = (2.9526703, 1.1359811, 1.8166893)


def test_overfits_two_images(reference_run):
    """40 steps on 2 images: the loss and both of its terms fall by a stated margin."""
    out, result = reference_run
    assert result.step == REF_STEPS and len(result.losses) == REF_STEPS
    log = read_log(out)
    assert sorted(log) == list(range(1, REF_STEPS + 1))
    first = {k: np.mean([log[s][k] for s in range(1, 6)]) for k in ("loss", "loss_diffusion", "loss_dr")}
    last = {k: np.mean([log[s][k] for s in range(36, 41)]) for k in ("loss", "loss_diffusion", "loss_dr")}
    assert last["loss"] < 0.6 * first["loss"]
    assert last["loss_diffusion"] < 0.8 * first["loss_diffusion"] and last["loss_dr"] < 0.7 * first["loss_dr"]
    assert np.allclose([log[1]["loss"], log[1]["loss_diffusion"], log[1]["loss_dr"]], GOLDEN_STEP1, atol=1e-4)
    assert [p.name for _, p in list_checkpoints(out)] == ["checkpoint-10", "checkpoint-20", "checkpoint-30",
                                                          "checkpoint-40"]  # fmt: skip


def test_frozen_weights_bitwise_unchanged_trainable_changed(reference_run, tiny_sd, hq_dir):
    from pasd.training.models import TRAINABLE_UNET_MODULES, build_models

    out, _ = reference_run
    ckpt = out / "checkpoint-40"
    unet, controlnet = state_of(ckpt / "unet"), state_of(ckpt / "controlnet")
    sd_unet = state_of(tiny_sd / "unet")  # the base model on disk: the independent reference
    paca = {k for k in unet if any(m in k for m in TRAINABLE_UNET_MODULES)}
    assert paca and set(unet) - paca == set(sd_unet)
    for k, v in sd_unet.items():
        assert torch.equal(unet[k], v), k
    initial = build_models(
        tiny_config(tiny_sd, hq_dir)
    ).module  # same seed: the weights training started from
    for k in paca:
        assert not torch.equal(unet[k], initial.unet.state_dict()[k]), k
    for k, v in initial.controlnet.state_dict().items():
        assert not torch.equal(controlnet[k], v), k
    optimizer = torch.load(ckpt / "optimizer.bin", weights_only=False)
    assert len(optimizer["state"]) == len(paca) + len(controlnet)  # Adam moments only for trainable tensors


def test_frozen_parts_and_trainable_set(tiny_sd, hq_dir):
    from pasd.training.models import build_models

    models = build_models(tiny_config(tiny_sd, hq_dir))
    assert not any(p.requires_grad for p in models.vae.parameters())
    assert not any(p.requires_grad for p in models.text_encoder.parameters())
    names = {n for n, p in models.module.named_parameters() if p.requires_grad}
    assert {n for n in names if n.startswith("controlnet.")} == {f"controlnet.{n}" for n, _ in
                                                                  models.module.controlnet.named_parameters()}  # fmt: skip
    assert all(".pixel_attentions." in n for n in names if n.startswith("unet."))


def test_loss_is_the_official_formula(tiny_sd, hq_dir):
    """compute_losses == MSE(pred, eps) + sum_s L1(bilinear(GT), toRGB_s), with DDPM noising written out."""
    from pasd.degradation import load_config
    from pasd.training.data import TrainCollate, TrainPairs, scan_hq_folders
    from pasd.training.models import build_models
    from pasd.training.step import compute_losses

    cfg = tiny_config(tiny_sd, hq_dir)
    m = build_models(cfg)
    items, _ = scan_hq_folders(cfg.data, 128)
    pairs = TrainPairs(items, load_config("pasd_x4"), 128, 0, True, 0.0, m.latent_shape_for(128))
    batch = TrainCollate(load_config("pasd_x4"))([pairs[(0, 0)], pairs[(0, 1)]])
    torch.manual_seed(0)
    got = compute_losses(m.module, m.vae, m.text_encoder, m.tokenizer, m.noise_scheduler, batch)
    with torch.no_grad():
        gt = batch["hq"] * 2 - 1
        post = m.vae.encode(gt).latent_dist
        lat = (post.mean + post.std * batch["vae_noise"]) * m.vae.config.scaling_factor
        acp = torch.cumprod(1 - m.noise_scheduler.betas, 0)[batch["timesteps"]].view(-1, 1, 1, 1)
        noisy = acp.sqrt() * lat + (1 - acp).sqrt() * batch["noise"]
        ids = m.tokenizer(
            batch["captions"], padding="max_length", max_length=77, return_tensors="pt"
        ).input_ids
        pred, rgbs = m.module(noisy, batch["timesteps"], m.text_encoder(ids)[0], batch["lq"])
        want_df = F.mse_loss(pred, batch["noise"])
        want_dr = sum(F.l1_loss(r, F.interpolate(gt, size=r.shape[-2:], mode="bilinear")) for r in rgbs)
    assert len(rgbs) == 3 and [r.shape[-1] for r in rgbs] == [64, 32, 16]
    assert torch.allclose(got.diffusion, want_df, atol=1e-6) and torch.allclose(got.dr, want_dr, atol=1e-6)
    assert torch.allclose(got.loss, want_df + want_dr, atol=1e-6)


def test_resume_gives_the_same_next_losses(reference_run, tiny_sd, hq_dir, tmp_path):
    ref, _ = reference_run
    result = train(tiny_config(tiny_sd, hq_dir, max_steps=26), tmp_path / "run", resume=ref / "checkpoint-20",
                   cpu=True, progress=False)  # fmt: skip
    ref_log, log = read_log(ref), read_log(tmp_path / "run")
    assert result.start_step == 20 and sorted(log) == list(range(21, 27))
    assert [log[s]["loss"] for s in log] == [ref_log[s]["loss"] for s in log]  # exactly the same floats


def test_resume_in_the_middle_of_an_epoch(tiny_sd, hq_dir, tmp_path):
    """Batch 1: an epoch is 2 steps, so checkpoint-3 sits mid-epoch and resuming must skip a batch."""
    cfg = tiny_config(tiny_sd, hq_dir, batch_size=1, max_steps=5, checkpoint_every=3)
    train(cfg, tmp_path / "whole", cpu=True, progress=False)
    train(cfg, tmp_path / "resumed", resume=tmp_path / "whole" / "checkpoint-3", cpu=True, progress=False)
    whole, resumed = read_log(tmp_path / "whole"), read_log(tmp_path / "resumed")
    assert sorted(resumed) == [4, 5] and [resumed[s]["loss"] for s in (4, 5)] == [
        whole[s]["loss"] for s in (4, 5)
    ]
    assert [whole[s]["epoch"] for s in range(1, 6)] == [0, 0, 1, 1, 2]


def test_gradient_accumulation_equals_the_bigger_batch(reference_run, tiny_sd, hq_dir, tmp_path):
    """Batch 1 x accumulation 2 takes the same steps as batch 2 (the reference run)."""
    cfg = tiny_config(
        tiny_sd,
        hq_dir,
        batch_size=1,
        gradient_accumulation_steps=2,
        max_steps=4,
        checkpoint_every=1,
        keep_checkpoints=2,
    )
    train(cfg, tmp_path / "acc", cpu=True, progress=False)
    assert [p.name for _, p in list_checkpoints(tmp_path / "acc")] == ["checkpoint-3", "checkpoint-4"]
    log, ref = read_log(tmp_path / "acc"), read_log(reference_run[0])
    np.testing.assert_allclose([log[s]["loss"] for s in range(1, 5)], [ref[s]["loss"] for s in range(1, 5)],
                               rtol=1e-6)  # fmt: skip
    np.testing.assert_allclose([log[s]["grad_norm"] for s in range(1, 5)], [ref[s]["grad_norm"] for s in range(1, 5)],
                               rtol=1e-4)  # fmt: skip


def test_dr_false_has_no_torgb_and_no_dr_term(tiny_sd, hq_dir, tmp_path):
    from pasd.models import load_pasd_models
    from pasd.training.checkpoint import has_dr_supervision
    from pasd.training.models import build_models
    from pasd.training.step import compute_losses

    cfg = tiny_config(tiny_sd, hq_dir, dr=False, max_steps=3, checkpoint_every=3)
    models = build_models(cfg)
    assert not [n for n, _ in models.module.named_parameters() if "to_rgbs" in n]
    train(cfg, tmp_path / "a", cpu=True, progress=False)
    log = read_log(tmp_path / "a")
    assert all(row["loss_dr"] == 0.0 and row["loss"] == row["loss_diffusion"] for row in log.values())
    ckpt = tmp_path / "a" / "checkpoint-3"
    assert not [k for k in state_of(ckpt / "controlnet") if "to_rgbs" in k]
    assert json.loads((ckpt / "controlnet" / "config.json").read_text())["return_rgbs"] is False
    _, controlnet = load_pasd_models(ckpt)  # the strict release loader
    assert len(controlnet.controlnet_cond_embedding.to_rgbs) == 0 and not has_dr_supervision(ckpt)
    with pytest.raises(ValueError, match="use_dr=True but the ControlNet returned 0"):
        batch = {"hq": torch.zeros(1, 3, 128, 128), "lq": torch.zeros(1, 3, 128, 128), "captions": [""],
                 "noise": torch.zeros(1, 4, 16, 16), "vae_noise": torch.zeros(1, 4, 16, 16),
                 "timesteps": torch.tensor([10])}  # fmt: skip
        compute_losses(models.module, models.vae, models.text_encoder, models.tokenizer, models.noise_scheduler,
                       batch, use_dr=True)  # fmt: skip


def test_paca_false_trains_without_paca_and_saves_it_neutral(tiny_sd, hq_dir, tmp_path):
    from pasd.models import load_pasd_models
    from pasd.pipeline import PASDPipeline

    cfg = tiny_config(tiny_sd, hq_dir, paca=False, max_steps=2, checkpoint_every=2)
    train(cfg, tmp_path / "r", cpu=True, progress=False)
    ckpt = tmp_path / "r" / "checkpoint-2"
    unet, _ = load_pasd_models(ckpt)
    proj = [p for n, p in unet.named_parameters() if ".pixel_attentions." in n and ".proj_out." in n]
    assert proj and all(float(p.detach().abs().max()) == 0.0 for p in proj)
    pipe = PASDPipeline.from_pretrained(tiny_sd, ckpt)
    pipe.set_progress_bar_config(disable=True)
    lq = np.asarray(__import__("PIL.Image").Image.open(hq_dir / "coffee.png").resize((16, 16)))

    def run(use_paca):
        return pipe(lq, num_inference_steps=2, upscale=4, process_size=64, use_paca=use_paca,
                    generator=torch.Generator().manual_seed(0), output_type="np").images[0].astype(int)  # fmt: skip

    assert np.abs(run(True) - run(False)).max() <= 1  # PACA is an identity: same image either way


def test_interrupted_save_leaves_no_checkpoint_and_resume_cleans_up(reference_run, tiny_sd, hq_dir, tmp_path,
                                                                   monkeypatch):  # fmt: skip
    import pasd.tiny

    real = pasd.tiny.save_released_layout

    def crash_in_second_save(unet, controlnet, out_dir):
        if "checkpoint-4" in str(out_dir):
            unet.save_pretrained(f"{out_dir}/unet")  # half written, then the process "dies"
            raise RuntimeError("simulated crash during a save")
        return real(unet, controlnet, out_dir)

    run = tmp_path / "run"
    cfg = tiny_config(tiny_sd, hq_dir, max_steps=6, checkpoint_every=2)
    monkeypatch.setattr(pasd.tiny, "save_released_layout", crash_in_second_save)
    with pytest.raises(RuntimeError, match="simulated crash"):
        train(cfg, run, cpu=True, progress=False)
    assert latest_checkpoint(run).name == "checkpoint-2"
    partial = run / ".checkpoint-4.partial"
    assert not (run / "checkpoint-4").exists() and partial.is_dir() and not is_complete(partial)
    monkeypatch.setattr(pasd.tiny, "save_released_layout", real)
    result = train(cfg, run, resume="latest", cpu=True, progress=False)
    assert result.start_step == 2 and not list(run.glob(".checkpoint-*"))
    log, ref_log = read_log(run), read_log(reference_run[0])
    assert sorted(log) == list(range(1, 7)) and [log[s]["loss"] for s in log] == [
        ref_log[s]["loss"] for s in log
    ]


def test_refuses_to_overwrite_or_resume_with_changed_settings(reference_run, tiny_sd, hq_dir):
    ref, _ = reference_run
    with pytest.raises(ValueError, match="already holds checkpoints"):
        train(tiny_config(tiny_sd, hq_dir), ref, cpu=True)
    with pytest.raises(ValueError, match=r"learning_rate: 0.001 -> 0.0001"):
        train(tiny_config(tiny_sd, hq_dir, learning_rate=1e-4, max_steps=50), ref, resume="latest", cpu=True)
    done = train(tiny_config(tiny_sd, hq_dir), ref, resume="latest", cpu=True)  # already at max_steps
    assert (done.start_step, done.step) == (REF_STEPS, REF_STEPS)


def test_validation_writes_images_and_scores(tiny_sd, hq_dir, tmp_path):
    cfg = tiny_config(tiny_sd, hq_dir, max_steps=2, checkpoint_every=2, val_every=2, val_images=1)
    seen = []
    train(cfg, tmp_path / "v", cpu=True, progress=False,
          metrics={"mean_abs": lambda out, hq: seen.append(out.shape) or float(np.abs(out - hq.astype(float)).mean())})  # fmt: skip
    val, name = tmp_path / "v" / "validation", f"{hq_dir.name}__astronaut.png"
    assert (val / "lq" / name).is_file() and (val / "hq" / name).is_file()
    assert (val / "step-00000002" / name).is_file() and seen == [(128, 128, 3)]
    import csv

    rows = list(csv.DictReader((tmp_path / "v" / "validation.csv").open()))
    assert (
        rows[0]["step"] == "2" and 0 < float(rows[0]["val_psnr"]) < 60 and float(rows[0]["val_mean_abs"]) > 0
    )
