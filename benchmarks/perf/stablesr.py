"""Seconds per image and peak memory of StableSR at 128 -> 512 px: our port next to the official code.

Both sides get the same random weights (a checkpoint in the released layout written here, N(0, 0.05)
per key as in the tests) and the same LQ photo, and run the same procedure (the canvas-tile script:
input 512, 64-latent tiles overlapping 32, ``dec_w`` 0.5, AdaIN, seed 42):

* ours: ``baselines.stablesr`` (strict loader + :class:`~baselines.stablesr.pipeline.StableSRPipeline`).
* peer (``--official DIR``, a checkout of IceClear/StableSR, and ``--official-env DIR`` with
  ``omegaconf``, e.g. ``pip install --target DIR omegaconf``): the official
  ``scripts/sr_val_ddpm_text_T_vqganfin_oldcanvas_tile.py`` ``main()`` itself. Its 2023
  dependencies (pytorch-lightning 1.4, taming, kornia) are replaced by the import stand-ins this
  script writes (none of them is used by SR inference), ``.cuda()`` is the identity on a CPU-only
  machine, and open_clip 3's batch-first text transformer is called without the 2.x permutes.

Every side runs in its own subprocess (peak memory is its own: CPU peak RSS, CUDA
``max_memory_allocated``); model loading is not timed. The outputs are compared (max abs
difference of the 8-bit images). Random weights: timing and agreement only, not results.

Usage: ``python benchmarks/perf/stablesr.py [--size full|tiny] [--steps 2] [--device cpu|cuda]
[--official DIR --official-env DIR] [--threads N]``. The last line is ``speedup: X.XX`` (peer time /
our time), or ``speedup: n/a`` with the reason when the peer cannot run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _release_state(config: dict) -> dict:
    """Random weights for every key our loader maps, in the released layout (what the official reads)."""
    import torch

    from baselines.stablesr import loading
    from tests.baselines.stablesr.tiny import release_tensor

    models = loading.empty_models(config)
    ckpt, cfw = {}, {}
    for comp, prefix in (*loading.PREFIXES.items(), ("cfw", "")):
        model = models[comp]
        for key, shape in loading.release_shapes(model, loading.key_groups(comp, model)).items():
            (cfw if comp == "cfw" else ckpt)[prefix + key] = release_tensor(prefix + key, list(shape))
    del models
    torch.manual_seed(0)
    return {"stablesr": ckpt, "cfw": cfw}


def _lq() -> np.ndarray:  # noqa: F821
    import numpy as np
    from PIL import Image
    from skimage.data import astronaut

    return np.asarray(Image.fromarray(astronaut()).resize((128, 128), Image.BICUBIC))


def _peak(device: str) -> float:
    import torch

    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # KiB -> MiB (Linux)


def _ours(args: argparse.Namespace, work: Path) -> dict:
    import numpy as np
    import torch
    from PIL import Image

    from baselines.stablesr.configs import load_config
    from baselines.stablesr.loading import load_stablesr
    from baselines.stablesr.pipeline import StableSRPipeline
    from baselines.stablesr.settings import StableSRSettings

    pipe = StableSRPipeline(
        load_stablesr(work / "stablesr.ckpt", work / "cfw.ckpt", load_config(args.config)), args.device
    )
    settings = StableSRSettings(
        steps=args.steps, input_size=args.input_size, tile_overlap=args.input_size // 16
    )
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    out = pipe(_lq(), 42, settings)
    if args.device.startswith("cuda"):
        torch.cuda.synchronize()
    seconds = time.perf_counter() - t0
    Image.fromarray(out).save(work / "ours.png")
    return {"seconds": seconds, "peak_mib": _peak(args.device), "shape": list(np.shape(out))}


SHIMS = {  # import stand-ins for the official code's 2023 dependencies (none is used by SR inference)
    "pytorch_lightning/__init__.py": """
        import random, numpy as np, torch
        class LightningModule(torch.nn.Module):
            @property
            def device(self):
                return next(self.parameters()).device
        def seed_everything(seed=None):
            random.seed(seed); np.random.seed(seed); torch.manual_seed(seed); return seed
        """,
    "pytorch_lightning/utilities/__init__.py": "def rank_zero_only(fn):\n    return fn\n",
    "pytorch_lightning/utilities/distributed.py": "def rank_zero_only(fn):\n    return fn\n",
    "taming/__init__.py": "",
    "taming/modules/__init__.py": "",
    "taming/modules/vqvae/__init__.py": "",
    "taming/modules/vqvae/quantize.py": "class VectorQuantizer2: pass\n",
    "sklearn/__init__.py": "",
    "sklearn/decomposition.py": "class PCA: pass\n",
    "kornia/__init__.py": "",
    "clip/__init__.py": "",
}


def _official(args: argparse.Namespace, work: Path) -> dict:
    """Run the official canvas-tile ``main()`` on one image (in the official checkout's namespace)."""
    import types

    import numpy as np
    import torch
    import torchvision.transforms._functional_tensor as ft
    from PIL import Image

    sys.modules.setdefault("torchvision.transforms.functional_tensor", ft)
    tu = types.ModuleType("ldm.modules.encoders.transformer_utils")
    tu.CLIPTextTransformer_M = object  # subclasses a transformers-4 internal; unused by SR inference
    sys.modules["ldm.modules.encoders.transformer_utils"] = tu
    if not torch.cuda.is_available():
        torch.nn.Module.cuda = lambda self, *a, **k: self
        torch.Tensor.cuda = lambda self, *a, **k: self
    sys.path[:0] = [str(args.official), str(args.official / "scripts")]
    import ldm.modules.encoders.modules as em
    import open_clip
    import sr_val_ddpm_text_T_vqganfin_oldcanvas_tile as S
    from omegaconf import OmegaConf

    original = em.FrozenOpenCLIPEmbedder.encode_with_transformer

    def encode(self, text):  # open_clip >= 2.2x runs the text transformer batch-first
        if not getattr(self.model.transformer, "batch_first", False):
            return original(self, text)
        x = self.model.token_embedding(text) + self.model.positional_embedding
        return self.model.ln_final(self.text_transformer_forward(x, attn_mask=self.model.attn_mask))

    em.FrozenOpenCLIPEmbedder.encode_with_transformer = encode
    from baselines.stablesr.configs import load_config

    cfg = load_config(args.config)
    t = cfg["text_config"]
    (work / "oc").mkdir(exist_ok=True)
    (work / "oc" / "bench-text.json").write_text(json.dumps({
        "embed_dim": t["width"], "vision_cfg": {"image_size": 32, "layers": 1, "width": 64, "patch_size": 16},
        "text_cfg": {k: t[k] for k in ("context_length", "vocab_size", "width", "heads", "layers")}}))  # fmt: skip
    open_clip.add_model_config(work / "oc")
    ldm = OmegaConf.load(args.official / "configs/stableSRNew/v2-finetune_text_T_512.yaml")
    p = ldm.model.params
    p.unet_config.params.update(cfg["unet_config"])
    p.structcond_stage_config.params.update(cfg["encoder_config"])
    p.first_stage_config.params.ddconfig.update(cfg["vae_ddconfig"])
    p.cond_stage_config.params.update({"arch": "bench-text", "version": None, "device": "cpu"})
    OmegaConf.save(ldm, work / "ldm.yaml")
    vq = OmegaConf.load(args.official / "configs/autoencoder/autoencoder_kl_64x64x4_resi.yaml")
    vq.model.params.ddconfig.update(cfg["vae_ddconfig"])
    vq.model.params.lossconfig = {"target": "torch.nn.Identity"}  # LPIPS would download VGG weights
    (work / "configs/autoencoder").mkdir(parents=True, exist_ok=True)
    OmegaConf.save(
        vq, work / "configs/autoencoder/autoencoder_kl_64x64x4_resi.yaml"
    )  # main() reads this path
    (work / "in").mkdir(exist_ok=True)
    Image.fromarray(_lq()).save(work / "in" / "lq.png")
    load_time, report = [0.0], {}
    load = S.load_model_from_config

    def timed_load(config, ckpt, verbose=False):
        t0 = time.perf_counter()
        model = load(config, ckpt, verbose)  # the official load_state_dict(strict=False)
        keys = set(torch.load(ckpt, map_location="cpu", mmap=True, weights_only=True)["state_dict"])
        report.setdefault("missing", []).extend(sorted(set(model.state_dict()) - keys))
        report.setdefault("unexpected", []).extend(sorted(keys - set(model.state_dict())))
        torch.manual_seed(42)  # construction consumed the seeded stream; restart it as on a fresh run
        load_time[0] += time.perf_counter() - t0
        return model

    S.load_model_from_config = timed_load
    os.chdir(work)
    sys.argv = ["x", "--config", str(work / "ldm.yaml"), "--ckpt", str(work / "stablesr.ckpt"),
                "--vqgan_ckpt", str(work / "cfw.ckpt"), "--init-img", str(work / "in"),
                "--outdir", str(work / "official"), "--ddpm_steps", str(args.steps), "--dec_w", "0.5",
                "--seed", "42", "--n_samples", "1", "--colorfix_type", "adain", "--upscale", "4",
                "--input_size", str(args.input_size), "--tile_overlap", str(args.input_size // 16),
                "--precision", "autocast"]  # fmt: skip
    if args.device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    S.main()
    seconds = time.perf_counter() - t0 - load_time[0]
    out = np.asarray(Image.open(work / "official" / "lq.png"))
    Image.fromarray(out).save(work / "peer.png")
    return {"seconds": seconds, "peak_mib": _peak(args.device), "shape": list(out.shape), **report}


def _child(args: argparse.Namespace) -> None:
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    work = Path(args.work)
    with torch.no_grad():
        result = _ours(args, work) if args.impl == "ours" else _official(args, work)
    print("RESULT " + json.dumps(result))


def _run(args: argparse.Namespace, impl: str, work: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO)] + ([str(args.official_env)] if impl == "peer" else []) + [os.environ.get("PYTHONPATH", "")]))  # fmt: skip
    if impl == "peer":
        shims = work / "shims"
        for rel, text in SHIMS.items():
            (shims / rel).parent.mkdir(parents=True, exist_ok=True)
            (shims / rel).write_text(textwrap.dedent(text))
        env["PYTHONPATH"] = os.pathsep.join([str(shims), env["PYTHONPATH"]])
    cmd = [sys.executable, __file__, "--impl", impl, "--work", str(work)] + sys.argv[1:]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{impl} failed:\n{proc.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", choices=("full", "tiny"), default="full",
                    help="full: the released architecture (random weights); tiny: the tests' tiny one")  # fmt: skip
    ap.add_argument(
        "--steps", type=int, default=2, help="DDPM steps (the paper: 200; 2 keeps CPU runs short)"
    )
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--official", type=Path, help="a checkout of IceClear/StableSR (the peer)")
    ap.add_argument("--official-env", type=Path, help="folder with omegaconf for the peer")
    ap.add_argument("--impl", choices=("ours", "peer"), help=argparse.SUPPRESS)
    ap.add_argument("--work", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.config = (
        None if args.size == "full" else str(REPO / "tests/baselines/stablesr/data/tiny_config.json")
    )
    args.input_size = 512 if args.size == "full" else 128
    if args.impl:
        _child(args)
        return
    import numpy as np
    import torch
    from PIL import Image

    from baselines.stablesr.configs import load_config

    with tempfile.TemporaryDirectory(dir=os.environ.get("TMPDIR")) as tmp:
        work = Path(tmp)
        states = _release_state(load_config(args.config))
        torch.save({"state_dict": states["stablesr"]}, work / "stablesr.ckpt")
        torch.save({"state_dict": states["cfw"]}, work / "cfw.ckpt")
        del states
        rows = {"ours": _run(args, "ours", work)}
        reason = None
        if args.official is None or args.official_env is None:
            reason = "no peer: pass --official (IceClear/StableSR checkout) and --official-env (omegaconf)"
        else:
            rows["peer"] = _run(args, "peer", work)
        print(f"StableSR 128 -> 512 px, {args.size}-size random weights, {args.steps} DDPM steps, {args.device}, "
              f"canvas tile {args.input_size // 8} / overlap {args.input_size // 16}")  # fmt: skip
        print(f"{'impl':6} {'s/image':>9} {'peak MiB':>9}")
        for impl, r in rows.items():
            print(f"{impl:6} {r['seconds']:>9.2f} {r['peak_mib']:>9.0f}")
        if "peer" in rows:
            ours, peer = (np.asarray(Image.open(work / f"{k}.png")).astype(int) for k in ("ours", "peer"))
            diff = np.abs(ours - peer)
            print(
                f"outputs: max |ours - peer| = {diff.max()}, differing values {100 * (diff > 0).mean():.3f}%"
            )
            print(
                f"peer missing keys (not in our map, all unused by inference): {rows['peer'].get('missing')}"
            )
            print(f"peer unexpected keys: {rows['peer'].get('unexpected')}")
            print(f"speedup: {rows['peer']['seconds'] / rows['ours']['seconds']:.2f}")
        else:
            print(f"speedup: n/a ({reason})")


if __name__ == "__main__":
    main()
