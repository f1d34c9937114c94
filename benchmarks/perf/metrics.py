"""Table-scale metric scoring: the per-method, per-metric package loop vs one engine call for all methods.

Peer: what a Real-ISR paper's ``test_metrics.py`` does (the OSEDiff/SeeSR pattern), once per
method folder: one metric at a time, each package re-reading every file with its own loader
and building its own network (BasicSR + OpenCV for PSNR/SSIM, ``lpips.load_image``,
``DISTS_pytorch.prepare_image``, pyiqa's MUSIQ on file paths), then clean-fid's folder FID and
CLIP-FID (``compute_fid`` on the pred and GT folders). Ours: ``score_many`` on every method's
folder at once (networks built once, each file decoded once, the GT side of LPIPS, DISTS, FID
and CLIP-FID computed once for all methods). Both sides load the same randomly initialised
weights (timing only: the scores mean nothing); the script checks that both give the same
numbers before it prints any speedup.

Rounds alternate peer / ours (and swap the order every round) so a busy neighbour on a shared
machine slows both alike; wall and CPU time (this process, all threads) are reported per round.
``--breakdown`` adds our own variants that remove one saving at a time (they are not peers).

Run from the repository root::

    python benchmarks/perf/metrics.py --methods 9 --n 100 --size 128 --rounds 2   # Table 1 shape
    python benchmarks/perf/metrics.py --methods 1 --n 100 --size 128               # one method
    python benchmarks/perf/metrics.py --methods 9 --n 30 --per-metric              # where the time goes

Last line: ``speedup: X.XX`` (peer wall time / our wall time, summed over rounds, model loading included).
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

METRICS = ("psnr", "ssim", "lpips", "dists", "musiq", "fid", "clipfid")


def make_sets(root: Path, n: int, size: int, methods: int, seed: int = 0) -> tuple[dict[str, Path], Path]:
    """``n`` GT crops of scikit-image photos and, per method, degraded preds (blur, noise or JPEG) as PNG."""
    import io

    import cv2
    from PIL import Image
    from skimage import data

    photos = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket(), data.immunohistochemistry()]
    rng = np.random.default_rng(seed)
    gt = root / "gt"
    gt.mkdir(parents=True, exist_ok=True)
    gts = []
    for i in range(n):
        img = photos[i % len(photos)]
        y, x = rng.integers(0, img.shape[0] - size), rng.integers(0, img.shape[1] - size)
        g = np.ascontiguousarray(img[y : y + size, x : x + size])
        Image.fromarray(g).save(gt / f"{i:04d}.png")
        gts.append(g)
    preds = {}
    for m in range(methods):
        folder = root / f"method{m}"
        folder.mkdir(parents=True, exist_ok=True)
        for i, g in enumerate(gts):
            kind = (i + m) % 3
            if kind == 0:
                p = cv2.GaussianBlur(g, (5, 5), 0.8 + 0.2 * m + rng.random())
            elif kind == 1:
                p = np.clip(g + rng.normal(0, 6 + m, g.shape), 0, 255).astype(np.uint8)
            else:
                buf = io.BytesIO()
                Image.fromarray(g).save(buf, format="JPEG", quality=int(rng.integers(20, 60)))
                p = np.array(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
            Image.fromarray(p).save(folder / f"{i:04d}.png")
        preds[f"method{m}"] = folder
    return preds, gt


def baseline(
    pred: Path, gt: Path, home: Path, metrics: tuple[str, ...], device: str = "cpu"
) -> dict[str, object]:
    """The per-metric loop for one method: every metric re-reads every file and builds its network."""
    import contextlib
    import io

    import cv2
    import torch

    import pasd  # noqa: F401  (basicsr shim)
    from benchmarks.metrics.random_weights import FILES

    w = {name: home / "weights" / name / f for name, f in FILES.items()}
    names = sorted(p.stem for p in pred.glob("*.png"))
    out: dict[str, object] = {}
    dev = torch.device(device)
    if "psnr" in metrics or "ssim" in metrics:
        from basicsr.metrics.psnr_ssim import calculate_psnr, calculate_ssim

        for metric, fn in (("psnr", calculate_psnr), ("ssim", calculate_ssim)):
            if metric in metrics:
                out[metric] = [
                    fn(
                        cv2.imread(str(pred / f"{n}.png")),
                        cv2.imread(str(gt / f"{n}.png")),
                        4,
                        test_y_channel=True,
                    )
                    for n in names
                ]
    if "lpips" in metrics:
        import lpips

        from benchmarks.metrics.lpips_metric import build_lpips

        model = build_lpips(dev)
        with torch.no_grad():
            out["lpips"] = [
                model(
                    lpips.im2tensor(lpips.load_image(str(pred / f"{n}.png"))).to(dev),
                    lpips.im2tensor(lpips.load_image(str(gt / f"{n}.png"))).to(dev),
                ).item()
                for n in names
            ]
    if "dists" in metrics:
        from DISTS_pytorch import DISTS_pt
        from PIL import Image

        from benchmarks.metrics.dists_metric import build_dists

        model = build_dists(dev)
        out["dists"] = [
            model(
                DISTS_pt.prepare_image(Image.open(pred / f"{n}.png").convert("RGB")).to(dev),
                DISTS_pt.prepare_image(Image.open(gt / f"{n}.png").convert("RGB")).to(dev),
            ).item()
            for n in names
        ]
    if "musiq" in metrics:
        import pyiqa

        with contextlib.redirect_stdout(io.StringIO()):
            model = pyiqa.create_metric("musiq", device=dev, pretrained_model_path=str(w["musiq-koniq"]))
        out["musiq"] = [model(str(pred / f"{n}.png")).item() for n in names]
    if "fid" in metrics or "clipfid" in metrics:
        from cleanfid import fid as cfid

        kw = {"mode": "clean", "num_workers": 0, "batch_size": 32, "device": dev, "verbose": False}
        with contextlib.redirect_stdout(io.StringIO()):
            if "fid" in metrics:
                from cleanfid.inception_torchscript import InceptionV3W

                inception = InceptionV3W(str(w["inception-fid"].parent), download=False).to(dev)
                out["fid"] = cfid.compute_fid(str(pred), str(gt), custom_feat_extractor=inception, **kw)
            if "clipfid" in metrics:
                from benchmarks.metrics.clip_compat import import_clip

                import_clip()
                from cleanfid.clip_features import CLIP_fx, img_preprocess_clip

                clip_fx = CLIP_fx(str(w["clip-vit-b32"]), device=str(dev))
                out["clipfid"] = cfid.compute_fid(
                    str(pred),
                    str(gt),
                    custom_feat_extractor=clip_fx,
                    custom_fn_resize=img_preprocess_clip,
                    **kw,
                )
    return out


def peer(preds: dict[str, Path], gt: Path, home: Path, metrics, device: str) -> dict[str, dict]:
    """The package loop run once per method folder (as a user scores a table: one script call per method)."""
    return {label: baseline(folder, gt, home, metrics, device) for label, folder in preds.items()}


def ours(preds: dict[str, Path], gt: Path, metrics, device: str, batch_size: int):
    from benchmarks.metrics import EngineOptions, score_many

    return score_many(preds, gt, metrics, EngineOptions(device=device, batch_size=batch_size))


def ours_per_method(preds: dict[str, Path], gt: Path, metrics, device: str, batch_size: int):
    """Our engine called once per method (networks, GT decoding and GT features redone per method)."""
    from benchmarks.metrics import EngineOptions, evaluate

    return {
        k: evaluate(v, gt, metrics, EngineOptions(device=device, batch_size=batch_size))
        for k, v in preds.items()
    }


def check_equal(mine, ref, metrics) -> tuple[bool, list[tuple]]:
    """Per-image scores within 1e-5 (relative to the score scale), FID/CLIP-FID within 1e-4 relative."""
    ok, rows = True, []
    for m in metrics:
        worst, a_mean, b_mean = 0.0, [], []
        for label, res in mine.items():
            if m in ("fid", "clipfid"):
                a, b = res.value(m), float(ref[label][m])
                diff = abs(a - b)
                ok &= diff <= 1e-4 * max(1.0, abs(b))
            else:
                col = res.per_image[m].to_numpy(float)
                b_arr = np.asarray(ref[label][m])
                a, b = float(col.mean()), float(b_arr.mean())
                diff = float(np.max(np.abs(col - b_arr)))
                ok &= diff <= 1e-5 * max(1.0, float(np.max(np.abs(b_arr))))
            worst = max(worst, diff)
            a_mean.append(a)
            b_mean.append(b)
        rows.append((m, float(np.mean(a_mean)), float(np.mean(b_mean)), worst))
    return ok, rows


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed(fn, *args):
    t0, c0 = time.perf_counter(), _cpu()
    out = fn(*args)
    return out, time.perf_counter() - t0, _cpu() - c0


def decode_cost(preds: dict[str, Path], gt: Path) -> float:
    """Seconds to decode every pred and GT file once with Pillow (the unit of the decode-once saving)."""
    from PIL import Image

    files = [p for f in preds.values() for p in sorted(f.glob("*.png"))] + sorted(gt.glob("*.png"))
    t0 = time.perf_counter()
    for p in files:
        with Image.open(p) as im:
            np.asarray(im.convert("RGB"))
    return (time.perf_counter() - t0) / len(files)


def precision_drift(pred: Path, gt: Path, device: str) -> int:
    """fp16/bf16 autocast vs fp32 for the metrics that take ``precision``, against the cross-device tier.

    Uses the weights the environment resolves (the released ones: random weights would say
    nothing about real numerics). A metric whose every image stays within the tier may be added
    to ``benchmarks.metrics.runtime.HALF_SAFE``, with this table in RESULTS.md.
    """
    import dataclasses
    from unittest import mock

    from benchmarks.metrics import EngineOptions, configs, evaluate, runtime

    rel_tol, abs_tol = 5e-3, 1e-3  # benchmarks/drift/tiers.toml "cross-device"
    print(f"{'metric':<8}{'precision':>10}{'max |diff|':>12}{'max rel':>10}  within cross-device tier")
    with mock.patch.object(runtime, "HALF_SAFE", frozenset(runtime.HALF_CAPABLE)):
        for metric in ("lpips", "dists"):
            ref = evaluate(pred, gt, [metric], EngineOptions(device=device)).per_image[metric].to_numpy(float)
            spec = configs.DEFAULT_CONFIGS[metric]
            for prec in ("fp16", "bf16"):
                half = dataclasses.replace(spec, opts={**spec.opts, "precision": prec})
                with mock.patch.dict(configs.DEFAULT_CONFIGS, {metric: half}):
                    got = evaluate(pred, gt, [metric], EngineOptions(device=device)).per_image[metric]
                diff = np.abs(got.to_numpy(float) - ref)
                ok = bool((diff <= np.maximum(abs_tol, rel_tol * np.abs(ref))).all())
                rel = float((diff / np.maximum(np.abs(ref), 1e-12)).max())
                print(f"{metric:<8}{prec:>10}{diff.max():>12.2e}{rel:>10.2e}  {'yes' if ok else 'NO'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--methods", type=int, default=9, help="method folders scored against one GT (Table 1: 9)"
    )
    ap.add_argument("--n", type=int, default=100, help="images per folder")
    ap.add_argument("--size", type=int, default=128, help="square crop size")
    ap.add_argument("--metrics", default=",".join(METRICS))
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=1, help="interleaved peer/ours rounds")
    ap.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's, = cores)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (both sides)")
    ap.add_argument("--breakdown", action="store_true", help="also time ours without batching / per method")
    ap.add_argument(
        "--per-metric",
        action="store_true",
        help="also time each metric alone on both sides (where the time goes; bounds the speedup)",
    )
    ap.add_argument(
        "--precision-drift",
        action="store_true",
        help="CUDA: fp16/bf16 vs fp32 of LPIPS/DISTS with the weights on disk (real ones), no timing",
    )
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
    root = args.workdir or Path(tempfile.mkdtemp(prefix="metrics-perf-"))
    root.mkdir(parents=True, exist_ok=True)
    home = root / "home"
    if not args.precision_drift:
        # random weights, before any pasd/benchmarks import reads these (the drift mode needs real ones)
        os.environ["PASD_BENCH_HOME"] = str(home)
        os.environ["TORCH_HOME"] = str(root / "torch")
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"--device {args.device}: CUDA is not available here", file=sys.stderr)
        return 2
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.precision_drift:
        if not args.device.startswith("cuda"):
            print("--precision-drift measures CUDA autocast: pass --device cuda", file=sys.stderr)
            return 2
        preds, gt = make_sets(root, args.n, args.size, 1)
        return precision_drift(preds["method0"], gt, args.device)
    from benchmarks.metrics import random_weights

    os.environ["PASD_BENCH_ARTIFACTS"] = str(random_weights.write_table(root / "artifacts.toml"))
    if not (home / "weights").is_dir():
        random_weights.build_weights(home)
    preds, gt = make_sets(root, args.n, args.size, args.methods)

    rows: list[tuple[str, int, float, float]] = []  # (side, round, wall, cpu)
    first_ok, table = None, None
    for r in range(args.rounds):
        order = ("peer", "ours") if r % 2 == 0 else ("ours", "peer")
        results = {}
        for side in order:
            if side == "peer":
                results[side], wall, cpu = timed(peer, preds, gt, home, metrics, args.device)
            else:
                results[side], wall, cpu = timed(ours, preds, gt, metrics, args.device, args.batch_size)
            rows.append((side, r, wall, cpu))
            print(f"round {r}: {side:<5} wall {wall:8.1f} s  cpu {cpu:8.1f} s", flush=True)
        if first_ok is None:
            first_ok, table = check_equal(results["ours"], results["peer"], metrics)
    extra = []
    if args.breakdown:
        _, w, c = timed(ours, preds, gt, metrics, args.device, 1)
        extra.append(("ours, batch 1 (no batching)", w, c))
        _, w, c = timed(ours_per_method, preds, gt, metrics, args.device, args.batch_size)
        extra.append(("ours, one call per method", w, c))
        _, w, c = timed(ours, preds, gt, metrics, args.device, args.batch_size)
        extra.append(("ours (again, after the variants)", w, c))

    per_metric = []
    if args.per_metric:
        for m in metrics:
            _, pw, _ = timed(peer, preds, gt, home, (m,), args.device)
            _, ow, _ = timed(ours, preds, gt, (m,), args.device, args.batch_size)
            per_metric.append((m, pw, ow))
            print(f"alone: {m:<8} peer {pw:8.1f} s  ours {ow:8.1f} s", flush=True)

    print(f"\n{'metric':<10}{'ours':>14}{'peer':>14}{'max |diff|':>14}")
    for m, a, b, d in table:
        print(f"{m:<10}{a:>14.6f}{b:>14.6f}{d:>14.2e}")
    n_dec = len(metrics) * 2 * args.methods * args.n  # peer: every metric reads pred and GT per method
    n_ours = (args.methods + 1) * args.n
    unit = decode_cost(preds, gt)
    print(
        f"\n{args.methods} method(s) x {args.n} images of {args.size}x{args.size}; device {args.device}; "
        f"torch threads {torch.get_num_threads()}; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"\n{'side':<34}{'wall (s)':>10}{'cpu (s)':>10}")
    for side in ("peer", "ours"):
        for s, r, w, c in rows:
            if s == side:
                print(f"{side + f' (round {r})':<34}{w:>10.1f}{c:>10.1f}")
    for label, w, c in extra:
        print(f"{label:<34}{w:>10.1f}{c:>10.1f}")
    if per_metric:
        print(f"\n{'metric alone':<14}{'peer (s)':>10}{'ours (s)':>10}{'peer/ours':>11}")
        for m, pw, ow in per_metric:
            print(f"{m:<14}{pw:>10.1f}{ow:>10.1f}{pw / ow:>11.2f}")
        # Amdahl: a no-reference metric has no GT side to share, so ours can at best match the peer
        # there; this is the speedup if every other metric cost nothing
        from benchmarks.metrics.configs import get_spec

        nr = sum(ow for m, _, ow in per_metric if get_spec(m).mode == "NR")
        if nr:
            total = sum(pw for _, pw, _ in per_metric)
            print(
                f"bound if every full-reference and set metric were free: {total / nr:.2f} (peer sum / our NR time)"
            )
    print(
        f"decoding: {unit * 1e3:.2f} ms/file; the peer decodes {n_dec} files, ours {n_ours} "
        f"(~{(n_dec - n_ours) * unit:.1f} s of Pillow decoding saved; the packages' own loaders differ)"
    )
    peer_w = sum(w for s, _, w, _ in rows if s == "peer")
    ours_w = sum(w for s, _, w, _ in rows if s == "ours")
    peer_c = sum(c for s, _, _, c in rows if s == "peer")
    ours_c = sum(c for s, _, _, c in rows if s == "ours")
    if not first_ok:
        print("numbers differ beyond tolerance", file=sys.stderr)
        return 1
    print(f"cpu-time speedup: {peer_c / ours_c:.2f}")
    print(f"speedup: {peer_w / ours_w:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
