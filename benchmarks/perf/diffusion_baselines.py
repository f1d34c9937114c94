"""Seconds per image and peak memory of the ``ldm`` and ``sd-upscaler`` adapters beside the pipelines they wrap.

"peer" is the official procedure: the diffusers pipeline called as its model card does
(``LDMSuperResolutionPipeline(img, num_inference_steps=100, eta=1)``;
``StableDiffusionUpscalePipeline(prompt="", image=img)`` with its defaults); "ours" is the
adapter (reflect-pad to the model's multiple, seeding, crop, latent + VAE tiling above 128 px).
Both load the same tiny random-weight folders (:mod:`baselines.tiny_pipelines`, timing only).
Cases:

* ``x4``: LQ 128 -> 512 px, both methods; outputs must be byte-identical (one tile, no padding);
* ``tiled``: LQ 256 -> 1024 px, ``sd-upscaler`` only: ours tiles (128-px latent tiles, overlap 32),
  the peer runs untiled; outputs differ by design, the mean absolute difference is printed.

Every (case, method, impl) runs in its own subprocess so its peak memory is its own (CPU: peak
RSS; CUDA: ``max_memory_allocated``). :func:`time_diffusion_baselines` returns the rows for other
perf scripts (``benchmarks/perf/baselines.py``).

Usage: ``python benchmarks/perf/diffusion_baselines.py [--device cpu|cuda] [--steps N] [--threads N]
[--cases x4,tiled]``. The last line printed is ``speedup: X.XX`` (peer time / our time, summed over
the byte-identical ``x4`` rows).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.perf.timing import best_time_and_peak

#: case -> (LQ side, methods)
CASES: dict[str, tuple[int, tuple[str, ...]]] = {
    "x4": (128, ("ldm", "sd-upscaler")),
    "tiled": (256, ("sd-upscaler",)),
}
#: the official step counts (model card / pipeline defaults)
OFFICIAL_STEPS = {"ldm": 100, "sd-upscaler": 75}
ARTIFACTS = {"ldm": "ldm-sr-4x", "sd-upscaler": "sd-x4-upscaler"}


def _photo(side: int):
    import numpy as np
    from PIL import Image
    from skimage.data import astronaut

    return np.asarray(Image.fromarray(astronaut()).resize((side, side), Image.BICUBIC))


def _peer(method: str, root: Path, device: str, steps: int):
    """A callable ``(image, seed) -> uint8`` running the diffusers pipeline the model card's way."""
    import numpy as np
    import torch
    from PIL import Image

    if method == "ldm":
        from diffusers import LDMSuperResolutionPipeline

        pipe = LDMSuperResolutionPipeline.from_pretrained(root, use_safetensors=False).to(device)

        def run(img, seed):
            torch.manual_seed(seed)  # DDIM's eta noise comes from the global generator
            gen = torch.Generator("cpu").manual_seed(seed)
            out = pipe(Image.fromarray(img), num_inference_steps=steps, eta=1, generator=gen)
            return np.asarray(out.images[0])
    else:
        from diffusers import StableDiffusionUpscalePipeline

        pipe = StableDiffusionUpscalePipeline.from_pretrained(root).to(device)

        def run(img, seed):
            gen = torch.Generator("cpu").manual_seed(seed)
            out = pipe(prompt="", image=Image.fromarray(img), num_inference_steps=steps, generator=gen)
            return np.asarray(out.images[0])

    pipe.set_progress_bar_config(disable=True)
    return run


def _child(args: argparse.Namespace) -> None:
    import torch

    import baselines

    if args.threads:
        torch.set_num_threads(args.threads)
    side, _ = CASES[args.case]
    steps = args.steps or OFFICIAL_STEPS[args.method]
    root = Path(os.environ["PASD_BENCH_HOME"]) / "weights" / ARTIFACTS[args.method]
    if args.impl == "peer":
        run = _peer(args.method, root, args.device, steps)
    else:
        m = baselines.create_method(args.method, device=args.device, steps=steps)
        m.ensure_loaded()
        run = m
    img = _photo(side)
    run(img[:32, :32], 0)  # warm-up (kernels, allocator)
    seconds, peak, out = best_time_and_peak(lambda: run(img, 0), args.rounds, args.device)
    np_path = Path(args.out_file)
    np_path.write_bytes(out.tobytes())
    print(json.dumps({"seconds": seconds, "peak_mib": peak / 2**20, "shape": list(out.shape),
                      "sha256": hashlib.sha256(out.tobytes()).hexdigest()}))  # fmt: skip


def time_diffusion_baselines(
    cases: tuple[str, ...] = ("x4", "tiled"),
    device: str = "cpu",
    steps: int | None = None,
    threads: int = 1,
    rounds: int = 1,
) -> list[dict]:
    """Build the tiny pipelines in a temporary home and time peer and ours for each case.

    Args:
        cases: Keys of :data:`CASES`.
        device: ``cpu`` or ``cuda``.
        steps: Denoising steps for both impls (None: the official 100 / 75).
        threads: torch threads per child (0: torch's default).
        rounds: Timed calls per child (the fastest counts), after one small warm-up call.

    Returns:
        One dict per (case, method, impl): ``case, method, impl, lq, out, seconds, peak_mib``, and
        ``equal`` (x4: outputs byte-identical; tiled: None) and ``mean_abs_diff`` (tiled, else 0).

    Raises:
        KeyError: For an unknown case.
        subprocess.CalledProcessError: If a child fails (its stderr is attached).
    """
    import numpy as np

    from baselines.tiny_pipelines import save_tiny_ldm_sr, save_tiny_sd_upscaler

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        save_tiny_ldm_sr(home / "weights" / "ldm-sr-4x")
        save_tiny_sd_upscaler(home / "weights" / "sd-x4-upscaler")
        env = {**os.environ, "PASD_BENCH_HOME": str(home), "HF_HUB_OFFLINE": "1"}
        for case in cases:
            side, methods = CASES[case]
            for method in methods:
                outs = {}
                for impl in ("peer", "ours"):
                    out_file = Path(tmp) / f"{case}-{method}-{impl}.raw"
                    cmd = [sys.executable, __file__, "--child", "--case", case, "--method", method, "--impl", impl,
                           "--device", device, "--steps", str(steps or 0), "--threads", str(threads),
                           "--rounds", str(rounds), "--out-file", str(out_file)]  # fmt: skip
                    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
                    if done.returncode:
                        raise subprocess.CalledProcessError(done.returncode, cmd, done.stdout, done.stderr)
                    r = json.loads(done.stdout.strip().splitlines()[-1])
                    outs[impl] = np.frombuffer(out_file.read_bytes(), np.uint8).reshape(r["shape"])
                    rows.append({"case": case, "method": method, "impl": impl, "lq": side, "out": r["shape"][0],
                                 "seconds": r["seconds"], "peak_mib": r["peak_mib"]})  # fmt: skip
                diff = np.abs(outs["peer"].astype(int) - outs["ours"].astype(int))
                for row in rows[-2:]:
                    row["equal"] = bool(not diff.any()) if case == "x4" else None
                    row["mean_abs_diff"] = float(diff.mean())
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--steps", type=int, default=0, help="denoising steps (0: the official 100 / 75)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch's default)")
    parser.add_argument("--rounds", type=int, default=1, help="timed calls per case (the fastest counts)")
    parser.add_argument("--cases", default="x4,tiled")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    for hidden in ("--case", "--method", "--impl", "--out-file"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    rows = time_diffusion_baselines(tuple(args.cases.split(",")), args.device, args.steps or None, args.threads,
                                    args.rounds)  # fmt: skip
    steps = f"{args.steps} steps" if args.steps else "official steps (ldm 100, sd-upscaler 75)"
    print(f"diffusion baselines, tiny random weights, {args.device}, {steps}, {args.threads} thread(s)")
    print(f"{'case':6} {'method':12} {'impl':5} {'LQ->out':>10} {'s/image':>9} {'peak MiB':>9}  check")
    for r in rows:
        check = ("identical" if r["equal"] else "DIFFERENT") if r["equal"] is not None else (
            f"mean |diff| {r['mean_abs_diff']:.2f} (tiled vs untiled)")  # fmt: skip
        print(f"{r['case']:6} {r['method']:12} {r['impl']:5} {r['lq']:>4}->{r['out']:<5} {r['seconds']:>9.3f} "
              f"{r['peak_mib']:>9.0f}  {check}")  # fmt: skip
    same = [r for r in rows if r["equal"] is not None]
    if any(not r["equal"] for r in same):
        raise SystemExit("outputs of peer and ours differ on an untiled case")
    peer = sum(r["seconds"] for r in same if r["impl"] == "peer")
    ours = sum(r["seconds"] for r in same if r["impl"] == "ours")
    print(f"speedup: {peer / ours:.2f}" if ours else "speedup: n/a")


if __name__ == "__main__":
    main()
