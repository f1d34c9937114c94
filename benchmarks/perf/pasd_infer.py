"""Seconds per image and peak memory of ``PASDPipeline``: an untiled x4 case and a large tiled case.

Modes:

* tiny (default, CPU, CI-sized): the tiny random-weight SD + PASD folders of :mod:`pasd.tiny`;
  cases ``x4`` (LQ 64 -> 256 px, one tile) and ``tiled`` (LQ 128 -> 512 px, 24-latent-px tiles).
* ``--sd15-size`` (GPU, for when one is lent): SD1.5-size random-weight VAE, CLIP text encoder,
  PASD UNet and ControlNet built in memory (random weights are fine for timing); cases ``x4``
  (LQ 128 -> 512 px) and ``tiled`` (LQ 512 -> 2048 px, 96-latent-px tiles, overlap 8).

"peer" is the naive path of the same pipeline: tiles run one at a time (``tile_batch=1``, what
the official implementation does); "ours" batches ``--tile-batch`` tiles per ControlNet + UNet
call. (The official yangxy/PASD pipeline itself needs diffusers 0.18-era code and is not run
here.) Every (case, impl) runs in its own subprocess so peak memory is its own (CPU: peak RSS;
CUDA: ``max_memory_allocated``).

Usage: ``python benchmarks/perf/pasd_infer.py [--sd15-size] [--device cpu|cuda] [--dtype fp32|fp16]
[--steps 2] [--tile-batch 4] [--threads N]``. The last line printed is ``speedup: X.XX`` (peer time /
our time on the tiled case).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.perf.timing import best_time_and_peak

#: case -> (mode -> (LQ side, upscale, latent tile))
CASES = {
    "x4": {"tiny": (64, 4, 320), "sd15": (128, 4, 320)},
    "tiled": {"tiny": (128, 4, 24), "sd15": (512, 4, 96)},
}


def _sd15_pipeline():
    """SD1.5-size PASD pipeline with random weights (no files, no downloads)."""
    import torch
    from diffusers import AutoencoderKL, UniPCMultistepScheduler
    from transformers import CLIPTextConfig, CLIPTextModel

    from pasd.models import SD15_UNET_CONFIG, PASDControlNetModel, PASDUNet2DConditionModel
    from pasd.pipeline import PASDPipeline
    from pasd.tiny import SD15_SCHEDULER, build_tiny_tokenizer

    torch.manual_seed(0)
    unet = PASDUNet2DConditionModel(**SD15_UNET_CONFIG, paca_type="full")
    controlnet = PASDControlNetModel.from_unet(unet, load_weights_from_unet=False)
    vae = AutoencoderKL(
        block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4, layers_per_block=2, sample_size=512,
        scaling_factor=0.18215,
    )  # fmt: skip
    text = CLIPTextModel(CLIPTextConfig(hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                        num_attention_heads=12, max_position_embeddings=77))  # fmt: skip
    return PASDPipeline(vae=vae, text_encoder=text.eval(), tokenizer=build_tiny_tokenizer(), unet=unet.eval(),
                        controlnet=controlnet.eval(), scheduler=UniPCMultistepScheduler.from_config(SD15_SCHEDULER))  # fmt: skip


def _child(args: argparse.Namespace) -> None:
    import numpy as np
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    mode = "sd15" if args.sd15_size else "tiny"
    side, upscale, tile = CASES[args.case][mode]
    if mode == "sd15":
        pipe = _sd15_pipeline()
    else:
        from pasd.pipeline import PASDPipeline
        from pasd.pipeline.build import ensure_tiny_models

        pipe = PASDPipeline.from_pretrained(*ensure_tiny_models(Path(args.tiny_root)))
    dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[args.dtype]
    pipe = pipe.to(args.device) if dtype == torch.float32 else pipe.to(args.device, dtype)
    pipe.set_progress_bar_config(disable=True)
    lq = np.random.default_rng(0).integers(0, 256, (side, side, 3), dtype=np.uint8)
    kwargs = dict(prompt="a photo", upscale=upscale, process_size=min(768, side * upscale), num_inference_steps=args.steps,
                  tile_size=tile, tile_batch=1 if args.impl == "peer" else args.tile_batch, output_type="np")  # fmt: skip
    pipe(lq[: side // 4, : side // 4], **{**kwargs, "num_inference_steps": 1})  # warm-up (kernels, allocator)
    seconds, peak, _ = best_time_and_peak(
        lambda: pipe(lq, generator=torch.Generator("cpu").manual_seed(0), **kwargs), args.rounds, args.device
    )
    print(json.dumps({"seconds": seconds, "peak_mib": peak / 2**20, "out": side * upscale}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sd15-size", action="store_true", help="SD1.5-size random weights (use a GPU)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", choices=("fp32", "fp16", "bf16"), default="fp32")
    parser.add_argument("--steps", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2, help="timed calls per case (the fastest counts)")
    parser.add_argument("--tile-batch", type=int, default=4)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--cases", default="x4,tiled")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--case", help=argparse.SUPPRESS)
    parser.add_argument("--impl", help=argparse.SUPPRESS)
    parser.add_argument("--tiny-root", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.sd15_size:
            from pasd.pipeline.build import ensure_tiny_models

            ensure_tiny_models(Path(tmp) / "tiny")  # once, outside the timed children
        for case in args.cases.split(","):
            for impl in ("peer", "ours"):
                cmd = [sys.executable, __file__, "--child", "--case", case, "--impl", impl,
                       "--tiny-root", str(Path(tmp) / "tiny")] + sys.argv[1:]  # fmt: skip
                out = (
                    subprocess.run(cmd, check=True, capture_output=True, text=True)
                    .stdout.strip()
                    .splitlines()[-1]
                )
                rows.append((case, impl, json.loads(out)))
    mode = "sd15-size random weights" if args.sd15_size else "tiny random weights"
    print(
        f"PASDPipeline, {mode}, {args.device} {args.dtype}, {args.steps} steps, tile_batch {args.tile_batch}"
    )
    print(f"{'case':8} {'impl':5} {'out px':>7} {'s/image':>9} {'peak MiB':>9}")
    for case, impl, r in rows:
        print(f"{case:8} {impl:5} {r['out']:>7} {r['seconds']:>9.3f} {r['peak_mib']:>9.0f}")
    by = {(c, i): r["seconds"] for c, i, r in rows}
    case = "tiled" if ("tiled", "ours") in by else rows[-1][0]
    print(f"speedup: {by[(case, 'peer')] / by[(case, 'ours')]:.2f}")


if __name__ == "__main__":
    main()
