"""Time one PASD denoising step (ControlNet + UNet) against diffusers' plain ControlNet + UNet.

Both at SD1.5 size with random weights, batch 2 (classifier-free guidance), 64x64 latents (512px
LQ), 77 text tokens. "plain" is ``diffusers.ControlNetModel`` + ``UNet2DConditionModel`` (what
ControlNet-based SR costs); "ours" is :class:`~pasd.models.PASDControlNetModel` +
:class:`~pasd.models.PASDUNet2DConditionModel` with PACA on. Each implementation runs in its own
subprocess so its peak memory is its own (CPU: peak RSS; CUDA: ``max_memory_allocated``); the
subprocesses alternate ``--repeats`` times and the median step counts.

Usage: ``python benchmarks/perf/pasd_step.py [--device cpu|cuda] [--dtype fp32|fp16|bf16]
[--variant full|light] [--rounds 2] [--repeats 1] [--latent 64]``. GPU mode: ``--device cuda
--dtype fp16`` (attention through PyTorch SDPA, diffusers' default processor).
The last line printed is ``speedup: X.XX`` (plain time / our time; < 1 means PACA costs time).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


def _build(impl: str, variant: str):
    import torch
    from diffusers import ControlNetModel, UNet2DConditionModel

    from pasd.models import SD15_UNET_CONFIG, PASDControlNetModel, PASDUNet2DConditionModel

    config = dict(SD15_UNET_CONFIG)
    torch.manual_seed(0)
    if impl == "plain":
        unet = UNet2DConditionModel(**config)
        controlnet = ControlNetModel.from_unet(unet, load_weights_from_unet=False)
    else:
        unet = PASDUNet2DConditionModel(**config, paca_type=variant)
        controlnet = PASDControlNetModel.from_unet(unet, load_weights_from_unet=False)
    return unet.eval(), controlnet.eval()


def _child(args: argparse.Namespace) -> None:
    """Build one implementation, warm up, time ``rounds`` steps; print one JSON line."""
    import torch

    device, dtype = torch.device(args.device), getattr(torch, DTYPES[args.dtype])
    unet, controlnet = _build(args.impl, args.variant)
    unet, controlnet = unet.to(device, dtype), controlnet.to(device, dtype)
    g = torch.Generator("cpu").manual_seed(0)
    lat = torch.randn(2, 4, args.latent, args.latent, generator=g).to(device, dtype)
    text = torch.randn(2, 77, 768, generator=g).to(device, dtype)
    lq = torch.rand(2, 3, 8 * args.latent, 8 * args.latent, generator=g).to(device, dtype)
    t = torch.tensor([500], device=device)

    def step() -> torch.Tensor:
        out = controlnet(lat, t, text, lq, return_dict=False)
        down, mid = out[-2], out[-1]  # plain returns (down, mid); ours (rgbs, down, mid)
        return unet(
            lat, t, text, down_block_additional_residuals=down, mid_block_additional_residual=mid
        ).sample

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    with torch.inference_mode():
        step()  # warm-up: oneDNN/cuDNN primitives, allocator
        sync()
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        times = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            step()
            sync()
            times.append(time.perf_counter() - t0)
    if device.type == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2**30
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # KiB -> GiB (Linux)
    params = sum(p.numel() for m in (unet, controlnet) for p in m.parameters()) / 1e6
    print(
        json.dumps({"times": times, "peak_gib": peak, "params_m": params, "threads": torch.get_num_threads()})
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    ap.add_argument("--dtype", default="fp32", choices=sorted(DTYPES))
    ap.add_argument("--variant", default="full", choices=["full", "light"])
    ap.add_argument("--rounds", type=int, default=2, help="timed steps per subprocess (after 1 warm-up)")
    ap.add_argument("--repeats", type=int, default=1, help="alternating subprocess pairs")
    ap.add_argument("--latent", type=int, default=64)
    ap.add_argument("--impl", choices=["plain", "ours"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.impl:
        _child(args)
        return
    results: dict[str, list[dict]] = {"plain": [], "ours": []}
    for _ in range(args.repeats):
        for impl in results:
            cmd = [sys.executable, __file__, "--impl", impl] + [
                f"--{k}={getattr(args, k)}" for k in ("device", "dtype", "variant", "rounds", "latent")
            ]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                sys.exit(f"{impl} run failed:\n{proc.stderr[-3000:]}")
            results[impl].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    med = {k: statistics.median(t for r in v for t in r["times"]) for k, v in results.items()}
    peak = {k: max(r["peak_gib"] for r in v) for k, v in results.items()}
    params = {k: v[0]["params_m"] for k, v in results.items()}
    mem_kind = "peak GPU alloc" if args.device == "cuda" else "peak RSS"
    print(
        f"one step: ControlNet + UNet, SD1.5 size, batch 2, {args.latent}x{args.latent} latents, "
        f"{args.device} {args.dtype}, PACA {args.variant}, threads {results['ours'][0]['threads']}"
    )
    print(f"{'implementation':<40} {'median s':>9} {'min s':>8} {mem_kind + ' GiB':>18} {'params M':>9}")
    names = {"plain": "plain (diffusers ControlNet + UNet)", "ours": f"ours (PASD, PACA {args.variant})"}
    for k in results:
        tmin = min(t for r in results[k] for t in r["times"])
        print(f"{names[k]:<40} {med[k]:>9.3f} {tmin:>8.3f} {peak[k]:>18.2f} {params[k]:>9.1f}")
    print(
        f"PACA overhead: {med['ours'] / med['plain']:.2f}x time, {peak['ours'] / peak['plain']:.2f}x memory"
    )
    print(f"speedup: {med['plain'] / med['ours']:.2f}")


if __name__ == "__main__":
    main()
