"""Peak memory of PASDPipeline per output pixel: the constant behind the memory pre-check.

``baselines.pasd_adapter`` refuses an input whose estimated need (``bytes_per_output_pixel x
output pixels``) exceeds the free memory. This script measures that constant: for each LQ size it
starts a subprocess, loads the tiny random-weight pipeline, runs a warm-up image, then one image
of the given size, and reports the growth of peak RSS (CPU) divided by the output pixels.
The full-resolution image buffers (bicubic control image, VAE input/output, colour fix) dominate,
so SD1.5-size weights need at least this much per pixel (their per-tile activations come on top).

This is a measurement, not a speed comparison, so there is no peer and no ``speedup`` line.

Usage: ``python benchmarks/perf/pasd_memory.py [--sizes 256 512] [--upscale 4]``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys
import numpy as np, torch
torch.set_num_threads(1)
from pasd.pipeline.build import ensure_tiny_models, load_pipeline
n, upscale = int(sys.argv[1]), int(sys.argv[2])
sd, pasd = ensure_tiny_models()
pipe = load_pipeline(sd, pasd, device="cpu", dtype="fp32")
pipe.set_progress_bar_config(disable=True)
def run(side):
    img = (np.random.default_rng(0).random((side, side, 3)) * 255).astype(np.uint8)
    pipe(img, prompt="", upscale=upscale, num_inference_steps=1, process_size=64,
         generator=torch.Generator().manual_seed(0), output_type="np")
run(32)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run(n)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"lq": n, "out_px": (n * upscale) ** 2, "delta_bytes": (peak - base) * 1024}))
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512], help="LQ sides (square)")
    ap.add_argument("--upscale", type=int, default=4)
    args = ap.parse_args(argv)
    print(f"{'LQ':>6} {'output':>12} {'peak RSS growth':>16} {'bytes / out px':>15}")
    for n in args.sizes:
        proc = subprocess.run([sys.executable, "-c", CHILD, str(n), str(args.upscale)], capture_output=True,
                              text=True, check=True)  # fmt: skip
        row = json.loads(proc.stdout.strip().splitlines()[-1])
        side = n * args.upscale
        per_px = row["delta_bytes"] / row["out_px"]
        print(f"{n:>6} {f'{side}x{side}':>12} {row['delta_bytes'] / 2**20:>12.0f} MiB {per_px:>15.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
