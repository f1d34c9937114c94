"""A small, fully known results store shared by the results/tables/plots/report tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from benchmarks.results import ResultsStore

#: per-image PSNR of three methods on three sample images; set-level = their mean
PSNR = {
    "bicubic": [24.0, 25.0, 26.0],
    "lanczos": [24.5, 25.5, 26.5],
    "pasd-tiny": [10.0, 11.0, 12.0],
}
LPIPS = {"bicubic": [0.5, 0.4, 0.3], "lanczos": [0.45, 0.4, 0.35], "pasd-tiny": [0.9, 0.8, 0.7]}
IMAGES = ["astronaut", "chelsea", "coffee"]


def write_images(root: Path, size: int = 64) -> dict[str, Path]:
    """HQ/LQ folders and one output folder per method, from photos skimage ships."""
    import skimage.data

    dirs = {k: root / k for k in ("hq", "lq", *PSNR)}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for name in IMAGES:
        hq = np.asarray(Image.fromarray(getattr(skimage.data, name)()).resize((size, size), Image.BICUBIC))
        Image.fromarray(hq).save(dirs["hq"] / f"{name}.png")
        lq = Image.fromarray(hq).resize((size // 4, size // 4), Image.BICUBIC)
        lq.save(dirs["lq"] / f"{name}.png")
        Image.fromarray(np.asarray(lq.resize((size, size), Image.BICUBIC))).save(
            dirs["bicubic"] / f"{name}.png"
        )
        Image.fromarray(np.asarray(lq.resize((size, size), Image.LANCZOS))).save(
            dirs["lanczos"] / f"{name}.png"
        )
        noisy = np.clip(hq.astype(int) + rng.integers(-60, 60, hq.shape), 0, 255).astype(np.uint8)
        Image.fromarray(noisy).save(dirs["pasd-tiny"] / f"{name}.png")
    return dirs


def fill_store(results_dir: Path, image_root: Path | None = None) -> int:
    """One smoke run: per-image + set-level PSNR/LPIPS with CIs, FID weights missing, a failure."""
    with ResultsStore(results_dir) as store:
        rid = store.add_run(
            "smoke", {"seed": 0, "methods": list(PSNR)}, {"torch": "2.x"}, {"pasd-tiny": "0" * 64}, "abc"
        )
        for method in PSNR:
            df = pd.DataFrame({"image": IMAGES, "psnr": PSNR[method], "lpips": LPIPS[method]})
            store.put_per_image_frame(rid, method, "sample", df)
            for metric, vals in (("psnr", PSNR[method]), ("lpips", LPIPS[method])):
                v = float(np.mean(vals))
                store.put_set_level(
                    rid, method, "sample", metric, v, ci_low=min(vals), ci_high=max(vals), n=3
                )
            store.put_set_level(
                rid, method, "sample", "fid", None, status="weights-missing", note="inception-fid"
            )
        store.put_set_level(
            rid, "pasd", "sample", "psnr", None, status="not-available", note="no PASD weights"
        )
        store.put_failure(rid, "pasd-tiny", "sample", "camera", "RuntimeError: out of memory")
        if image_root is not None:
            dirs = write_images(image_root)
            for method in PSNR:
                store.put_image_dir(rid, "sample", dirs[method], method=method)
            store.put_image_dir(rid, "sample", dirs["lq"], role="lq")
            store.put_image_dir(rid, "sample", dirs["hq"], role="hq")
    return rid
