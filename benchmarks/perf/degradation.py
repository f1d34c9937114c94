"""Time our Real-ESRGAN degradation against the reference way of doing it, side by side, on CPU.

Reference: basicsr's ``RealESRGANDataset`` (file read, crop to 400, kernel sampling) batched by a
``DataLoader``, then ``RealESRGANModel.feed_data`` (USM + second-order degradation).
Ours: :class:`~pasd.degradation.DegradationDataset` + :class:`~pasd.degradation.DegradationCollate`.
Both use the same HQ files, crop size, batch size and degradation settings (the
``realesrgan_x4plus`` preset by default; with ``--config pasd_x4`` the reference skips the USM
of the GT, as PASD's ``degrade_process`` does).
Rounds alternate between the implementations so background load hits both alike; each round
uses new seeds, and the speedup is the ratio of total times.

Usage: ``python benchmarks/perf/degradation.py [--images 16] [--batch 4] [--rounds 3] [--config NAME]
[--threads 1]``.
The last line printed is ``speedup: X.XX`` (reference time / our time).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np
import skimage.data
import torch
from torch.utils.data import DataLoader

from pasd.degradation import DegradationCollate, DegradationConfig, DegradationDataset, load_config

CROP = 400  # RealESRGANDataset's hard-coded crop_pad_size
PHOTOS = ("astronaut", "coffee", "rocket", "chelsea", "immunohistochemistry", "hubble_deep_field")


def write_images(folder: Path, n: int) -> list[str]:
    """``n`` HQ PNGs from scikit-image photos (flipped variants when more are asked for)."""
    names = []
    for i in range(n):
        img = getattr(skimage.data, PHOTOS[i % len(PHOTOS)])()[..., :3]
        if (i // len(PHOTOS)) % 2:
            img = img[:, ::-1]
        name = f"{i:04d}.png"
        cv2.imwrite(str(folder / name), cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_RGB2BGR))
        names.append(name)
    return names


def reference(folder: Path, names: list[str], cfg: DegradationConfig, batch: int):
    """basicsr's dataset + a bare RealESRGANModel carrying only what ``feed_data`` reads."""
    # basicsr is importable only after `pasd` installed its shim (done by the import above)
    from basicsr.data.realesrgan_dataset import RealESRGANDataset
    from basicsr.models.realesrgan_model import RealESRGANModel
    from basicsr.utils import DiffJPEG, USMSharp

    class ContiguousJPEG(DiffJPEG):
        """DiffJPEG with a contiguous output (same numbers). Its output is a cropped view; with
        current torch, basicsr's ``filter2D`` then fails in ``.view`` for batches > 1."""

        def forward(self, x: torch.Tensor, quality: torch.Tensor) -> torch.Tensor:
            return super().forward(x, quality).contiguous()

    (folder / "meta_info.txt").write_text("\n".join(names) + "\n")
    s1, s2 = cfg.stage1, cfg.stage2
    ds_opt = {
        "dataroot_gt": str(folder),
        "meta_info": str(folder / "meta_info.txt"),
        "io_backend": {"type": "disk"},
        "use_hflip": False,
        "use_rot": False,
        "blur_kernel_size": cfg.kernel_pad_to,
        "final_sinc_prob": cfg.final.sinc_prob,
    }
    for sfx, st in (("", s1), ("2", s2)):
        for key in ("kernel_list", "kernel_prob", "sinc_prob", "blur_sigma", "betag_range", "betap_range"):
            ds_opt[f"{key}{sfx}"] = (
                list(getattr(st, key)) if isinstance(getattr(st, key), tuple) else getattr(st, key)
            )
    ds_opt["blur_kernel_size2"] = cfg.kernel_pad_to
    model = RealESRGANModel.__new__(RealESRGANModel)  # no networks: feed_data needs none
    model.opt = {"scale": cfg.scale, "gt_size": CROP, "second_blur_prob": s2.blur_prob}
    for sfx, st in (("", s1), ("2", s2)):
        for key in ("resize_prob", "resize_range", "gaussian_noise_prob", "noise_range"):
            model.opt[f"{key}{sfx}"] = getattr(st, key)
        model.opt[f"poisson_scale_range{sfx}"] = st.poisson_scale_range
        model.opt[f"gray_noise_prob{sfx}"] = st.gray_noise_prob
        model.opt[f"jpeg_range{sfx}"] = st.jpeg_range
    model.device, model.is_train = torch.device("cpu"), True
    model.jpeger, model.usm_sharpener = ContiguousJPEG(differentiable=False), USMSharp()
    model._dequeue_and_enqueue = lambda: None  # the training-pair pool is not part of synthesis
    if not cfg.usm_input:  # PASD's degrade_process is feed_data without the USM of the GT
        model.usm_sharpener = torch.nn.Identity()
    loader = DataLoader(RealESRGANDataset(ds_opt), batch_size=batch, shuffle=False, num_workers=0)

    def run(seed: int) -> list[torch.Tensor]:
        # the reference draws from the global RNGs; reseed so every round sees new draws
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        out = []
        for data in loader:
            model.feed_data(data)
            out.append(model.lq)
        return out

    return run


def ours(folder: Path, cfg: DegradationConfig, batch: int):
    ds = DegradationDataset(folder, cfg, crop_size=CROP, seed=0)
    loader = DataLoader(
        ds, batch_size=batch, shuffle=False, num_workers=0, collate_fn=DegradationCollate(cfg)
    )

    def run(seed: int) -> list[torch.Tensor]:
        ds.seed = seed
        return [b["lq"] for b in loader]

    return run


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=16)
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--config", default="realesrgan_x4plus")
    ap.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads for both sides (default 1: on a shared machine, an OpenMP barrier "
        "waiting for a descheduled thread makes multi-threaded timings mostly noise)",
    )
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    cfg = load_config(args.config)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        names = write_images(folder, args.images)
        runs = {
            f"reference (basicsr dataset + feed_data), batch {args.batch}": reference(
                folder, names, cfg, args.batch
            ),
            f"ours (DegradationDataset + collate), batch {args.batch}": ours(folder, cfg, args.batch),
            "ours, batch 1 (per image)": ours(folder, cfg, 1),
        }
        for run in runs.values():  # warm-up: imports, allocator, oneDNN primitive caches
            lq = run(-1 % 2**31)
            assert all(x.shape[-2:] == (CROP // cfg.scale, CROP // cfg.scale) for x in lq)
        times: dict[str, list[float]] = {k: [] for k in runs}
        # Round r uses seed r everywhere. The reference shares one resize scale per batch, so a
        # single round's cost swings with a few draws; totals over rounds average that out.
        for r in range(args.rounds):
            for name, run in runs.items():
                t0 = time.perf_counter()
                run(r)
                times[name].append(time.perf_counter() - t0)
    total = {k: sum(v) for k, v in times.items()}
    n = args.images * args.rounds
    print(
        f"config {cfg.name}, {args.images} images cropped to {CROP}x{CROP}, x{cfg.scale}, "
        f"{args.rounds} rounds, torch threads {torch.get_num_threads()}"
    )
    print(f"{'implementation':<55} {'total s':>8} {'median s':>9} {'img/s':>7}")
    for name, t in total.items():
        print(f"{name:<55} {t:>8.2f} {statistics.median(times[name]):>9.2f} {n / t:>7.2f}")
    ref_name, ours_name = list(runs)[:2]
    print(f"speedup: {total[ref_name] / total[ours_name]:.2f}")


if __name__ == "__main__":
    main()
