"""One-pass metric engine vs the per-metric loop Real-ISR papers use, on the same images and weights.

The baseline follows the ``test_metrics.py`` pattern of the OSEDiff/SeeSR repositories: one
metric at a time, each re-reading every file with its own package's loader (BasicSR + OpenCV
for PSNR/SSIM, ``lpips.load_image``, ``DISTS_pytorch.prepare_image``, pyiqa on file paths for
MUSIQ), then clean-fid's folder FID and CLIP-FID (``compute_fid`` on the two folders).
Both sides load the same randomly initialised weights (timing only: the scores mean nothing),
and the script checks that both give the same numbers before printing the speedup.

Run from the repository root::

    python benchmarks/perf/metrics.py --n 100 --size 128

Last line: ``speedup: X.XX`` (baseline wall time / engine wall time, model loading included).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

METRICS = ("psnr", "ssim", "lpips", "dists", "musiq", "fid", "clipfid")


def make_pairs(root: Path, n: int, size: int, seed: int = 0) -> tuple[Path, Path]:
    """``n`` GT crops of scikit-image photos and degraded preds (blur, noise or JPEG), as PNG."""
    import io

    import cv2
    from PIL import Image
    from skimage import data

    photos = [data.astronaut(), data.chelsea(), data.coffee(), data.rocket(), data.immunohistochemistry()]
    rng = np.random.default_rng(seed)
    pred, gt = root / "pred", root / "gt"
    pred.mkdir(parents=True, exist_ok=True)
    gt.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        img = photos[i % len(photos)]
        y, x = rng.integers(0, img.shape[0] - size), rng.integers(0, img.shape[1] - size)
        g = np.ascontiguousarray(img[y : y + size, x : x + size])
        kind = i % 3
        if kind == 0:
            p = cv2.GaussianBlur(g, (5, 5), 1.0 + rng.random())
        elif kind == 1:
            p = np.clip(g + rng.normal(0, 10, g.shape), 0, 255).astype(np.uint8)
        else:
            buf = io.BytesIO()
            Image.fromarray(g).save(buf, format="JPEG", quality=int(rng.integers(20, 60)))
            p = np.array(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
        Image.fromarray(g).save(gt / f"{i:04d}.png")
        Image.fromarray(p).save(pred / f"{i:04d}.png")
    return pred, gt


def baseline(pred: Path, gt: Path, home: Path, metrics: tuple[str, ...]) -> dict[str, object]:
    """The per-metric loop: every metric re-reads every file."""
    import contextlib
    import io

    import cv2
    import torch

    import pasd  # noqa: F401  (basicsr shim)
    from benchmarks.metrics.random_weights import FILES

    w = {name: home / "weights" / name / f for name, f in FILES.items()}
    names = sorted(p.stem for p in pred.glob("*.png"))
    out: dict[str, object] = {}
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

        model = build_lpips("cpu")
        with torch.no_grad():
            out["lpips"] = [
                model(
                    lpips.im2tensor(lpips.load_image(str(pred / f"{n}.png"))),
                    lpips.im2tensor(lpips.load_image(str(gt / f"{n}.png"))),
                ).item()
                for n in names
            ]
    if "dists" in metrics:
        from DISTS_pytorch import DISTS_pt
        from PIL import Image

        from benchmarks.metrics.dists_metric import build_dists

        model = build_dists("cpu")
        out["dists"] = [
            model(
                DISTS_pt.prepare_image(Image.open(pred / f"{n}.png").convert("RGB")),
                DISTS_pt.prepare_image(Image.open(gt / f"{n}.png").convert("RGB")),
            ).item()
            for n in names
        ]
    if "musiq" in metrics:
        import pyiqa

        with contextlib.redirect_stdout(io.StringIO()):
            model = pyiqa.create_metric("musiq", device="cpu", pretrained_model_path=str(w["musiq-koniq"]))
        out["musiq"] = [model(str(pred / f"{n}.png")).item() for n in names]
    if "fid" in metrics or "clipfid" in metrics:
        from cleanfid import fid as cfid

        kw = {
            "mode": "clean",
            "num_workers": 0,
            "batch_size": 32,
            "device": torch.device("cpu"),
            "verbose": False,
        }
        with contextlib.redirect_stdout(io.StringIO()):
            if "fid" in metrics:
                from cleanfid.inception_torchscript import InceptionV3W

                inception = InceptionV3W(str(w["inception-fid"].parent), download=False)
                out["fid"] = cfid.compute_fid(str(pred), str(gt), custom_feat_extractor=inception, **kw)
            if "clipfid" in metrics:
                from benchmarks.metrics.clip_compat import import_clip

                import_clip()
                from cleanfid.clip_features import CLIP_fx, img_preprocess_clip

                clip_fx = CLIP_fx(str(w["clip-vit-b32"]), device="cpu")
                out["clipfid"] = cfid.compute_fid(
                    str(pred),
                    str(gt),
                    custom_feat_extractor=clip_fx,
                    custom_fn_resize=img_preprocess_clip,
                    **kw,
                )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100, help="image pairs")
    ap.add_argument("--size", type=int, default=128, help="square crop size")
    ap.add_argument("--metrics", default=",".join(METRICS))
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args(argv)
    metrics = tuple(m.strip() for m in args.metrics.split(",") if m.strip())
    root = args.workdir or Path(tempfile.mkdtemp(prefix="metrics-perf-"))
    home = root / "home"
    # before any pasd/benchmarks import reads them
    os.environ["PASD_BENCH_HOME"] = str(home)
    os.environ["TORCH_HOME"] = str(root / "torch")
    from benchmarks.metrics import random_weights

    os.environ["PASD_BENCH_ARTIFACTS"] = str(random_weights.write_table(root / "artifacts.toml"))
    if not (home / "weights").is_dir():
        random_weights.build_weights(home)
    pred, gt = make_pairs(root, args.n, args.size)

    from benchmarks.metrics import EngineOptions, evaluate

    t0 = time.perf_counter()
    ours = evaluate(pred, gt, metrics, EngineOptions(batch_size=args.batch_size))
    t_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = baseline(pred, gt, home, metrics)
    t_ref = time.perf_counter() - t0

    ok = True
    print(f"{'metric':<10}{'engine':>14}{'baseline':>14}{'max |diff|':>14}")
    for m in metrics:
        if m in ("fid", "clipfid"):
            a, b = ours.value(m), float(ref[m])
            diff = abs(a - b)
            ok &= diff <= 1e-4 * max(1.0, abs(b))
        else:
            col = ours.per_image[m].to_numpy(float)
            a, b = float(col.mean()), float(np.mean(ref[m]))
            diff = float(np.max(np.abs(col - np.asarray(ref[m]))))
            ok &= diff <= 1e-5 * max(1.0, float(np.max(np.abs(ref[m]))))
        print(f"{m:<10}{a:>14.6f}{b:>14.6f}{diff:>14.2e}")
    print(
        f"images: {args.n} pairs of {args.size}x{args.size}; torch threads: {__import__('torch').get_num_threads()}"
    )
    print(f"engine (one pass): {t_ours:.1f} s; per-metric loop + clean-fid folders: {t_ref:.1f} s")
    if not ok:
        print("numbers differ beyond tolerance", file=sys.stderr)
        return 1
    print(f"speedup: {t_ref / t_ours:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
