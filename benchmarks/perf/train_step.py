"""Time one PASD training step at SD1.5 size: ours (``pasd.training``) vs the official train_pasd.py step.

Both sides run the same step on the same random weights and inputs: VAE posterior sample of the GT
(no grad), CLIP text encoding (no grad), ControlNet + PACA UNet forward, ``MSE(pred, eps) + L_DR``,
backward, grad clipping at 1.0, AdamW update. Batch 1, one timestep, an empty prompt.

* **ours**: :func:`pasd.training.step.compute_losses` on :class:`pasd.training.models.PASDTrainingModule`,
  prepared by ``accelerate`` with the trainer's AdamW, exactly as :func:`pasd.training.trainer.train` runs it.
* **official** (the peer): yangxy/PASD's own ``UNet2DConditionModel``/``ControlNetModel`` classes on
  diffusers 0.29.2 (its pinned version), with the loop body of ``train_pasd.py`` written out (the
  script itself cannot be imported: it needs ``pasd.accelerate``, which the repository does not
  contain, plus webdataset). Its one change: ``latent_dist.sample()`` takes the shared noise, so
  both sides see the same latents. Needs ``--official-repo`` (a checkout of yangxy/PASD) and
  ``--official-diffusers`` (a ``pip install --target DIR --no-deps diffusers==0.29.2`` folder).

Each side runs in its own subprocess (its peak memory is its own: peak RSS since the weights
were built, or ``max_memory_allocated`` on CUDA). Ours writes its initial weights and inputs to a
temporary folder; the official side loads them strictly, so the step-1 losses must agree.

Usage: ``python benchmarks/perf/train_step.py [--device cpu|cuda] [--resolution 512] [--rounds 1]
[--variant full|light] [--mixed-precision no|fp16] [--gradient-checkpointing]
[--official-repo DIR --official-diffusers DIR]``. The last line is ``speedup: X.XX`` (official s/step
/ our s/step), or ``speedup: n/a`` with the reason when the peer cannot run.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TIMESTEP = 437


def _peak_reset() -> None:
    # Linux: writing 5 to clear_refs resets VmHWM, so the peak covers only the steps
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _peak_gib(device) -> float:
    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**30
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def _inputs(resolution: int):
    import torch

    g = torch.Generator().manual_seed(0)
    h = resolution // 8
    return {
        "hq": torch.rand(1, 3, resolution, resolution, generator=g),
        "lq": torch.rand(1, 3, resolution, resolution, generator=g),
        "noise": torch.randn(1, 4, h, h, generator=g),
        "vae_noise": torch.randn(1, 4, h, h, generator=g),
        "timesteps": torch.tensor([TIMESTEP]),
    }


def _time_steps(step, rounds: int, device) -> tuple[list[float], list[float], list[dict], float]:
    import torch

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    gc.collect()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    _peak_reset()
    out, times, cpu = [step()], [], []  # warm-up: allocates gradients and Adam moments
    sync()
    for _ in range(rounds):
        t0, c0 = time.perf_counter(), time.process_time()
        out.append(step())
        sync()
        times.append(time.perf_counter() - t0)
        # CPU seconds of this process (all threads): less distorted than wall time on a shared machine
        cpu.append(time.process_time() - c0)
    return times, cpu, out, _peak_gib(device)


def _child_ours(args) -> dict:
    import torch
    from accelerate import Accelerator
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
    from safetensors.torch import save_file
    from transformers import CLIPTextConfig, CLIPTextModel

    from pasd.models import SD15_UNET_CONFIG, PASDControlNetModel, PASDUNet2DConditionModel
    from pasd.models.configs import SD15_TEXT_ENCODER_CONFIG, SD15_VAE_CONFIG
    from pasd.tiny import SD15_SCHEDULER, build_tiny_tokenizer
    from pasd.training import load_train_config
    from pasd.training.models import PASDTrainingModule, set_trainable
    from pasd.training.step import compute_losses
    from pasd.training.trainer import _build_optimizer

    torch.manual_seed(0)
    sd_unet = UNet2DConditionModel(**SD15_UNET_CONFIG)
    unet = PASDUNet2DConditionModel.from_sd_unet(sd_unet, paca_type=args.variant)
    controlnet = PASDControlNetModel.from_unet(sd_unet)
    del sd_unet
    vae = AutoencoderKL(**SD15_VAE_CONFIG).eval().requires_grad_(False)
    text_encoder = CLIPTextModel(CLIPTextConfig(**SD15_TEXT_ENCODER_CONFIG)).eval().requires_grad_(False)
    tokenizer = build_tiny_tokenizer()  # token ids only; the text tower is SD1.5-sized
    scheduler = DDPMScheduler.from_config(SD15_SCHEDULER)
    weights = Path(args.weights)
    for name, model in (
        ("unet", unet),
        ("controlnet", controlnet),
        ("vae", vae),
        ("text_encoder", text_encoder),
    ):
        save_file(
            {k: v.contiguous() for k, v in model.state_dict().items()}, str(weights / f"{name}.safetensors")
        )
    batch = _inputs(args.resolution)
    batch["captions"] = [""]
    ids = tokenizer([""], padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
    save_file(
        {**{k: v for k, v in batch.items() if k != "captions"}, "input_ids": ids},
        str(weights / "batch.safetensors"),
    )

    cfg = load_train_config("pasd", {"mixed_precision": args.mixed_precision})
    module = PASDTrainingModule(unet, controlnet)
    set_trainable(module)
    if args.gradient_checkpointing:
        unet.enable_gradient_checkpointing()
        controlnet.enable_gradient_checkpointing()
    acc = Accelerator(cpu=args.device == "cpu", mixed_precision=args.mixed_precision)
    optimizer, lr_scheduler = _build_optimizer(cfg, module, 1)
    module, optimizer, lr_scheduler = acc.prepare(module, optimizer, lr_scheduler)
    dtype = {"no": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[args.mixed_precision]
    vae, text_encoder = vae.to(acc.device, dtype), text_encoder.to(acc.device, dtype)
    batch = {k: v.to(acc.device) if hasattr(v, "to") else v for k, v in batch.items()}
    module.train()

    def step() -> dict:
        with acc.accumulate(module):
            losses = compute_losses(module, vae, text_encoder, tokenizer, scheduler, batch)
            acc.backward(losses.loss)
            norm = acc.clip_grad_norm_(module.parameters(), cfg.max_grad_norm)
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad(set_to_none=True)
        return {"loss": float(losses.loss), "grad_norm": float(norm)}

    times, cpu, out, peak = _time_steps(step, args.rounds, acc.device)
    n = sum(p.numel() for p in module.parameters()) / 1e6
    trainable = sum(p.numel() for p in module.parameters() if p.requires_grad) / 1e6
    return {"times": times, "cpu": cpu, "steps": out, "peak_gib": peak, "params_m": n, "trainable_m": trainable,
            "threads": torch.get_num_threads()}  # fmt: skip


def _child_official(args) -> dict:
    import diffusers
    import torch
    import torch.nn.functional as F
    from diffusers import AutoencoderKL, DDPMScheduler
    from safetensors.torch import load_file
    from transformers import CLIPTextConfig, CLIPTextModel

    if args.variant == "light":
        from pasd.models.pasd_light.controlnet import ControlNetModel
        from pasd.models.pasd_light.unet_2d_condition import UNet2DConditionModel
    else:
        from pasd.models.pasd.controlnet import ControlNetModel
        from pasd.models.pasd.unet_2d_condition import UNet2DConditionModel
    if not diffusers.__version__.startswith("0.29"):
        raise RuntimeError(f"the official models need diffusers 0.29.x, got {diffusers.__version__}")
    configs = json.loads(args.configs)
    device = torch.device(args.device)
    weights = Path(args.weights)
    unet = UNet2DConditionModel.from_config(configs["unet"])
    controlnet = ControlNetModel.from_unet(unet)
    vae = AutoencoderKL(**configs["vae"])
    text_encoder = CLIPTextModel(CLIPTextConfig(**configs["text_encoder"]))
    for name, model in (
        ("unet", unet),
        ("controlnet", controlnet),
        ("vae", vae),
        ("text_encoder", text_encoder),
    ):
        model.load_state_dict(load_file(str(weights / f"{name}.safetensors")), strict=True)
    noise_scheduler = DDPMScheduler.from_config(configs["scheduler"])
    batch = {k: v.to(device) for k, v in load_file(str(weights / "batch.safetensors")).items()}
    # train_pasd.py: freeze, then re-enable the --trainable_modules of the UNet; the ControlNet trains
    trainable_modules = ["pixel_attentions", "norm2_plus", "attn2_plus", "proj_in_plus"]
    vae.requires_grad_(False), unet.requires_grad_(False), text_encoder.requires_grad_(False)
    controlnet.train()
    for name, param in unet.named_parameters():
        if any(m in name for m in trainable_modules):
            param.requires_grad = True
    if args.gradient_checkpointing:
        unet.enable_gradient_checkpointing()
        controlnet.enable_gradient_checkpointing()
    unet, controlnet, vae, text_encoder = (m.to(device) for m in (unet, controlnet, vae, text_encoder))
    params = list(controlnet.parameters()) + list(unet.parameters())
    optimizer = torch.optim.AdamW(params, lr=5e-5, betas=(0.9, 0.999), weight_decay=1e-2, eps=1e-8)
    autocast = torch.autocast(device.type, dtype=torch.float16, enabled=args.mixed_precision == "fp16")
    scaler = torch.amp.GradScaler(device.type, enabled=args.mixed_precision == "fp16")
    weight_dtype = torch.float16 if args.mixed_precision == "fp16" else torch.float32
    vae.to(dtype=weight_dtype), text_encoder.to(dtype=weight_dtype)

    def step() -> dict:
        pixel_values = (batch["hq"] * 2 - 1).to(weight_dtype)
        with torch.no_grad():
            dist = vae.encode(pixel_values).latent_dist
            latents = (
                dist.mean + dist.std * batch["vae_noise"].to(dist.mean.dtype)
            ) * vae.config.scaling_factor
            encoder_hidden_states = text_encoder(batch["input_ids"])[0]
        noise, timesteps = batch["noise"].to(latents.dtype), batch["timesteps"].long()
        noisy_latents = noise_scheduler.add_noise(latents, noise, timesteps)
        with autocast:
            cond_mid, down, mid = controlnet(
                noisy_latents, timesteps, encoder_hidden_states=encoder_hidden_states,
                controlnet_cond=batch["lq"].to(weight_dtype), return_dict=False,
            )  # fmt: skip
            model_pred = unet(
                noisy_latents, timesteps, encoder_hidden_states=encoder_hidden_states,
                down_block_additional_residuals=down, mid_block_additional_residual=mid,
            ).sample  # fmt: skip
            loss = F.mse_loss(model_pred.float(), noise.float(), reduction="mean")
            for values in cond_mid:
                target = F.interpolate(pixel_values, size=values.shape[-2:], mode="bilinear").float()
                loss = loss + F.l1_loss(target, values.float(), reduction="mean")
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=False)
        return {"loss": float(loss), "grad_norm": float(norm)}

    times, cpu, out, peak = _time_steps(step, args.rounds, device)
    n = sum(p.numel() for p in list(unet.parameters()) + list(controlnet.parameters())) / 1e6
    trainable = sum(p.numel() for p in params if p.requires_grad) / 1e6
    return {"times": times, "cpu": cpu, "steps": out, "peak_gib": peak, "params_m": n, "trainable_m": trainable,
            "threads": torch.get_num_threads()}  # fmt: skip


def _official_configs(variant: str) -> str:
    from pasd.models import SD15_UNET_CONFIG
    from pasd.models.configs import SD15_TEXT_ENCODER_CONFIG, SD15_VAE_CONFIG
    from pasd.tiny import SD15_SCHEDULER

    return json.dumps({
        "unet": dict(SD15_UNET_CONFIG), "vae": dict(SD15_VAE_CONFIG),
        "text_encoder": dict(SD15_TEXT_ENCODER_CONFIG), "scheduler": SD15_SCHEDULER,
    })  # fmt: skip


def _official_problem(args) -> str | None:
    if not args.official_repo or not args.official_diffusers:
        return "--official-repo and --official-diffusers not given"
    models = Path(args.official_repo) / "pasd" / "models" / "pasd" / "unet_2d_condition.py"
    if not models.is_file():
        return f"{models} not found (--official-repo must be a yangxy/PASD checkout)"
    if not (Path(args.official_diffusers) / "diffusers").is_dir():
        return f"no diffusers package under {args.official_diffusers}"
    return None


def _run(impl: str, args, weights: str) -> dict:
    cmd = [sys.executable, __file__, "--impl", impl, "--weights", weights, "--variant", args.variant,
           "--resolution", str(args.resolution), "--rounds", str(args.rounds), "--device", args.device,
           "--mixed-precision", args.mixed_precision]  # fmt: skip
    if args.gradient_checkpointing:
        cmd.append("--gradient-checkpointing")
    env = dict(os.environ)
    if impl == "official":
        # only the official repo's `pasd` (and its diffusers) may be importable there
        env["PYTHONPATH"] = os.pathsep.join([args.official_diffusers, args.official_repo])
        cmd += ["--configs", _official_configs(args.variant)]
        cwd = args.official_repo
    else:
        env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
        cwd = str(REPO)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env, cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(f"{impl} run failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--resolution", type=int, default=512)
    ap.add_argument("--rounds", type=int, default=1, help="timed steps per side (after 1 warm-up step)")
    ap.add_argument("--variant", default="full", choices=["full", "light"])
    ap.add_argument("--mixed-precision", default="no", choices=["no", "fp16"])
    ap.add_argument("--gradient-checkpointing", action="store_true")
    ap.add_argument("--official-repo", default=None, help="a yangxy/PASD checkout")
    ap.add_argument("--official-diffusers", default=None, help="folder holding diffusers==0.29.2")
    ap.add_argument("--impl", choices=["ours", "official"], help=argparse.SUPPRESS)
    ap.add_argument("--weights", help=argparse.SUPPRESS)
    ap.add_argument("--configs", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.impl:
        child = _child_ours if args.impl == "ours" else _child_official
        print(json.dumps(child(args)))
        return
    if args.device == "cpu" and args.mixed_precision != "no":
        sys.exit("fp16 mixed precision needs --device cuda")
    problem = _official_problem(args)
    with tempfile.TemporaryDirectory(prefix="pasd-train-step-") as weights:
        results = {"ours": _run("ours", args, weights)}
        if problem is None:
            results["official"] = _run("official", args, weights)
    print(
        f"one training step, SD1.5 size, batch 1, {args.resolution}px (latent {args.resolution // 8}), "
        f"{args.device}, mixed precision {args.mixed_precision}, PACA {args.variant}, "
        f"gradient checkpointing {'on' if args.gradient_checkpointing else 'off'}, {args.rounds} timed step(s)"
    )
    mem = "peak GPU alloc GiB" if args.device == "cuda" else "peak RSS GiB"
    print(f"threads per side: {results['ours']['threads']}")
    print(f"{'implementation':<50} {'s/step':>8} {'CPU s/step':>11} {mem:>19} {'params M':>9} {'trained M':>9}"
          f" {'loss 1':>10} {'loss 2':>10}")  # fmt: skip
    names = {"ours": "ours (pasd.training)", "official": "official (yangxy/PASD classes, diffusers 0.29.2)"}
    med = {}
    for k, r in results.items():
        med[k] = statistics.median(r["times"])
        losses = [s["loss"] for s in r["steps"]]
        cpu = statistics.median(r["cpu"])
        print(f"{names[k]:<50} {med[k]:>8.2f} {cpu:>11.2f} {r['peak_gib']:>19.2f} {r['params_m']:>9.1f}"
              f" {r['trainable_m']:>9.1f} {losses[0]:>10.6f} {losses[1]:>10.6f}")  # fmt: skip
    if problem is not None:
        print(f"speedup: n/a (official step not run: {problem})")
        return
    a, b = results["ours"]["steps"], results["official"]["steps"]
    rel = [abs(x["loss"] - y["loss"]) / abs(y["loss"]) for x, y in zip(a, b)]
    gn = abs(a[0]["grad_norm"] - b[0]["grad_norm"]) / b[0]["grad_norm"]
    print(
        f"same weights and inputs: loss rel. diff {', '.join(f'{r:.2e}' for r in rel)}; step-1 grad-norm rel. diff {gn:.2e}"
    )
    if rel[0] > 1e-3:
        sys.exit(f"outputs differ: step-1 loss {a[0]['loss']} vs official {b[0]['loss']}")
    print(f"speedup: {med['official'] / med['ours']:.2f}")


if __name__ == "__main__":
    main()
