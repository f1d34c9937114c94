"""Seconds per image and peak memory of the Table 1 baselines at 128 -> 512 px: ours vs the official procedure.

Both sides load the same random weights, written in each release's exact layout at the released
size (``baselines.random_weights``; timing only, the images mean nothing). "ours" is the adapter
(``baselines.create_method``: spandrel network, our tiler, batching); the peer is the official
inference procedure on an independently built network:

* ``realesrgan``: the ``realesrgan`` package's ``RealESRGANer.enhance`` on basicsr's ``RRDBNet``;
* ``bsrgan``: cszn/BSRGAN ``main_test_bsrgan.py`` on basicsr's ``RRDBNet`` (KAIR's keys mapped);
* ``ldl``: LDL's basicsr test pipeline (``net_g(lq)``, ``tensor2img``) on basicsr's ``RRDBNet``;
* ``swinir-gan-m`` / ``swinir-gan-l``: ``main_test_swinir.py --task real_sr`` on basicsr's ``SwinIR``;
* ``femasr``: ``inference_femasr.py``'s ``test()`` on spandrel_extra_arches' class (FeMaSR's own
  class is not a package; the adapter matches it to 1 level, see ``tests/baselines``).

The peers are the transcriptions the equality tests use (``tests/baselines/official.py``), so the
script puts the repository root on ``sys.path``: run it from a checkout. Each (method, side) runs
in its own subprocess so its peak memory is its own (CPU: peak RSS; CUDA:
``torch.cuda.max_memory_allocated``). After the timings the two sides' outputs are compared
(within 1 level of 255, and at most 0.1% of values off by that level; 1% for fp16 on CUDA).

* ``ldm`` / ``sd-upscaler``: the diffusers pipeline called as its model card does, on a tiny random
  pipeline whatever ``--size`` says (``benchmarks/perf/diffusion_baselines.py`` has their tiled case
  and the official step counts); both sides run :data:`DIFFUSION_STEPS` steps with seed 0.

More methods join with :func:`register_case`: a weights writer, an optional peer, and the params
for ours.

Usage: ``python benchmarks/perf/baselines.py [--methods realesrgan,bsrgan,...] [--device cpu|cuda]
[--size full|tiny] [--lq 128] [--repeats 2] [--threads N]``. Last line: ``speedup: X.XX`` (sum of
peer s/image / sum of ours, over methods that have a peer).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Case:
    """One method to time.

    Attributes:
        method: the registry name ``create_method`` builds for "ours".
        write_weights: ``(home, size) -> None``, puts random weights where ``pasd.hub`` looks under
            ``home`` (``$PASD_BENCH_HOME``).
        peer: ``(home, size, device) -> (rgb -> rgb)``, the official procedure with its network
            loaded; ``None`` when no official code is importable.
        peer_name: what the peer is, for the table.
        params: params for ours.
        needs: modules the case imports (skipped with a note when one is missing).
    """

    method: str
    write_weights: Callable[[Path, str], None]
    peer: Callable[[Path, str, str], Callable[[np.ndarray], np.ndarray]] | None
    peer_name: str
    params: dict = field(default_factory=dict)
    needs: tuple[str, ...] = ()


CASES: dict[str, Case] = {}


def register_case(case: Case) -> Case:
    """Add a method to the script (``--methods`` selects by ``case.method``)."""
    if case.method in CASES:
        raise KeyError(f"perf case {case.method!r} is already registered")
    CASES[case.method] = case
    return case


def _release_writer(method: str) -> Callable[[Path, str], None]:
    def write(home: Path, size: str) -> None:
        from baselines.random_weights import write_release

        write_release(method, home, size)

    return write


def _ckpt(home: Path, method: str) -> Path:
    from baselines.random_weights import RELEASES

    artifact, rel = RELEASES[method]
    return home / "weights" / artifact / rel


def _official(fn: str, method: str, **kw):
    def peer(home: Path, size: str, device: str):
        from tests.baselines import official

        if fn == "femasr_inference":
            return official.femasr_inference(_ckpt(home, method), device=device, **kw)
        return getattr(official, fn)(_ckpt(home, method), size=size, device=device, **kw)

    return peer


def _realesrganer(home: Path, size: str, device: str):
    from tests.baselines import official

    # inference_realesrgan.py: half = not --fp32, i.e. fp16 wherever it runs on CUDA
    return official.realesrganer(_ckpt(home, "realesrgan"), size=size, half=device == "cuda", device=device)


register_case(Case("realesrgan", _release_writer("realesrgan"), _realesrganer, "realesrgan.RealESRGANer",
                   needs=("realesrgan",)))  # fmt: skip
register_case(Case("bsrgan", _release_writer("bsrgan"), _official("kair_bsrgan", "bsrgan"),
                   "main_test_bsrgan.py on basicsr RRDBNet"))  # fmt: skip
register_case(Case("ldl", _release_writer("ldl"), _official("ldl_basicsr", "ldl"),
                   "LDL basicsr test pipeline on basicsr RRDBNet"))  # fmt: skip
register_case(Case("swinir-gan-m", _release_writer("swinir-gan-m"), _official("swinir_real_sr", "swinir-gan-m"),
                   "main_test_swinir.py on basicsr SwinIR"))  # fmt: skip
register_case(Case("swinir-gan-l", _release_writer("swinir-gan-l"),
                   _official("swinir_real_sr", "swinir-gan-l", variant="l"),
                   "main_test_swinir.py --large_model on basicsr SwinIR"))  # fmt: skip
register_case(Case("femasr", _release_writer("femasr"), _official("femasr_inference", "femasr"),
                   "inference_femasr.py test() on spandrel_extra_arches' FeMaSRNet",
                   needs=("spandrel_extra_arches",)))  # fmt: skip

#: denoising steps of the diffusion cases here: timing a few steps on tiny pipelines shows the
#: adapters' overhead; the official 100 / 75 steps are in ``diffusion_baselines.py`` (``--steps 0``)
DIFFUSION_STEPS = 3


def _tiny_pipeline_writer(method: str) -> Callable[[Path, str], None]:
    def write(home: Path, size: str) -> None:
        # the released UNets and text encoders are GBs of random numbers on a CPU: always tiny
        from baselines.tiny_pipelines import save_tiny_ldm_sr, save_tiny_sd_upscaler
        from benchmarks.perf.diffusion_baselines import ARTIFACTS

        save = save_tiny_ldm_sr if method == "ldm" else save_tiny_sd_upscaler
        save(home / "weights" / ARTIFACTS[method])

    return write


def _pipeline_peer(method: str):
    def peer(home: Path, size: str, device: str):
        from benchmarks.perf.diffusion_baselines import ARTIFACTS, _peer

        run = _peer(method, home / "weights" / ARTIFACTS[method], device, DIFFUSION_STEPS)
        return lambda img: run(img, 0)

    return peer


register_case(Case("ldm", _tiny_pipeline_writer("ldm"), _pipeline_peer("ldm"),
                   "diffusers LDMSuperResolutionPipeline (model card call; tiny pipeline)",
                   params={"steps": DIFFUSION_STEPS}))  # fmt: skip
register_case(Case("sd-upscaler", _tiny_pipeline_writer("sd-upscaler"), _pipeline_peer("sd-upscaler"),
                   "diffusers StableDiffusionUpscalePipeline (defaults; tiny pipeline)",
                   params={"steps": DIFFUSION_STEPS}))  # fmt: skip


def _lq(side: int) -> np.ndarray:
    from skimage.data import astronaut

    return np.ascontiguousarray(astronaut()[60 : 60 + side, 160 : 160 + side])


def _peak_mib(device: str) -> float:
    if device == "cuda":
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker(args: argparse.Namespace) -> None:
    """One (method, side) in this process: load, warm up, time ``--repeats`` calls, save the output."""
    import os

    os.environ["PASD_BENCH_HOME"] = args.home
    sys.path.insert(0, str(ROOT))
    import torch

    torch.set_num_threads(args.threads)
    case = CASES[args.method]
    img = _lq(args.lq)
    t0 = time.perf_counter()
    if args.side == "ours":
        import baselines

        m = baselines.create_method(case.method, device=args.device, **case.params)
        m.load()
        m._loaded = True
        run = lambda img: m(img, seed=0)  # noqa: E731  (stochastic methods need a seed)
    else:
        run = case.peer(Path(args.home), args.size, args.device)
    load_s = time.perf_counter() - t0
    out = run(img)  # warm-up (allocator, kernels)
    times = []
    for _ in range(args.repeats):
        if args.device == "cuda":
            torch.cuda.synchronize()
        t = time.perf_counter()
        out = run(img)
        if args.device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - t)
    np.save(args.out, out)
    print(json.dumps({"s_per_image": min(times), "load_s": load_s, "peak_mib": _peak_mib(args.device)}))


def _run_side(args, method: str, side: str, home: Path, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", "--method", method, "--side", side, "--home", str(home),
           "--out", str(out), "--device", args.device, "--size", args.size, "--lq", str(args.lq),
           "--repeats", str(args.repeats), "--threads", str(args.threads)]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if res.returncode != 0:
        raise RuntimeError(f"{method} / {side} failed:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--methods", default=",".join(CASES), help="comma-separated; default: all registered")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    p.add_argument("--size", default="full", choices=["full", "tiny"], help="released or tiny networks")
    p.add_argument("--lq", type=int, default=128, help="LQ side in px (output is 4x)")
    p.add_argument("--repeats", type=int, default=2, help="timed calls after one warm-up; the fastest counts")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--method", help=argparse.SUPPRESS)
    p.add_argument("--side", help=argparse.SUPPRESS)
    p.add_argument("--home", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(args)
        return
    import importlib.util

    sys.path.insert(0, str(ROOT))
    names = [n for n in args.methods.split(",") if n]
    unknown = sorted(set(names) - set(CASES))
    if unknown:
        p.error(f"unknown methods {unknown}; registered: {sorted(CASES)}")
    rows, ours_total, peer_total, notes = [], 0.0, 0.0, []
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        for name in names:
            case = CASES[name]
            missing = [m for m in case.needs if importlib.util.find_spec(m) is None]
            if missing:
                notes.append(f"{name}: skipped ({', '.join(missing)} not installed)")
                continue
            case.write_weights(home, args.size)
            sides = ["peer", "ours"] if case.peer is not None else ["ours"]
            res = {s: _run_side(args, name, s, home, Path(tmp) / f"{name}-{s}.npy") for s in sides}
            outs = {s: np.load(Path(tmp) / f"{name}-{s}.npy") for s in sides}
            check = "no peer"
            if case.peer is not None:
                d = np.abs(outs["ours"].astype(np.int16) - outs["peer"].astype(np.int16))
                frac = float((d > 0).mean())
                ok = d.max() <= 1 and frac <= (1e-2 if args.device == "cuda" else 1e-3)
                check = f"{'equal' if ok else 'DIFFERENT'} (max {d.max()}, {frac:.3%} off by 1)"
                if not ok:
                    notes.append(f"{name}: outputs differ: {check}")
                ours_total += res["ours"]["s_per_image"]
                peer_total += res["peer"]["s_per_image"]
            for s in sides:
                peer_name = case.peer_name if s == "peer" else "baselines." + name
                rows.append(
                    (name, s, peer_name, res[s]["s_per_image"], res[s]["load_s"], res[s]["peak_mib"], check)
                )
            print(f"done {name}", file=sys.stderr, flush=True)
    side = f"{args.lq} -> {args.lq * 4} px, {args.device}, {args.size} size, {args.threads} threads"
    print(f"| method | side | implementation | s/image | load s | peak MiB | ours vs peer ({side}) |")
    print("|---|---|---|---|---|---|---|")
    for name, s, impl, t, load, mem, check in rows:
        print(f"| {name} | {s} | {impl} | {t:.3f} | {load:.2f} | {mem:.0f} | {check} |")
    for note in notes:
        print(f"note: {note}")
    if any(n.endswith("outputs differ") or "DIFFERENT" in n for n in notes):
        sys.exit(1)
    print(f"speedup: {peer_total / ours_total:.2f}" if ours_total else "speedup: n/a")


if __name__ == "__main__":
    main()
