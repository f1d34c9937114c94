# ruff: noqa  (throwaway driver run in a separate diffusers-0.29.2 venv; import order is the patching order)
"""Throwaway driver: run the official PASD test_pasd.main (yangxy/PASD 396f9ac) on tiny weights, CPU.

Needs a venv with torch, diffusers 0.29.2, transformers 4.41.2, open_clip_torch 3.3.0, the official
repo at /tmp/pasd-off, and /tmp/ref laid out as test_official_refs.official_models builds it
(models/sd15 with its text encoder re-saved with text_model. key prefixes and safetensors metadata
format=pt, models/{scheduler,pasd32,pasd_light32}, coca/, lq.png, lq_big.png). Writes
/tmp/ref/out/<tag>.npz in the stored format:

    python make_refs.py - realisr_caption '{"pasd_model_path": "/tmp/ref/models/pasd32"}'
    python make_refs.py - realisr_tiled '{"pasd_model_path": "/tmp/ref/models/pasd32", "prompt": "a photo",
        "latent_tiled_size": 8, "latent_tiled_overlap": 2}'
    python make_refs.py - realisr_guess '{"pasd_model_path": "/tmp/ref/models/pasd32", "image_path":
        "/tmp/ref/lq_big.png", "latent_tiled_size": 8, "latent_tiled_overlap": 2, "guess_mode": true}'
    python make_refs.py - color_light '{"pasd_model_path": "/tmp/ref/models/pasd_light32",
        "control_type": "grayscale", "use_pasd_light": true}'
"""

import argparse, functools, json, sys, types

sys.path.insert(0, "/tmp/pasd-off")
import numpy as np, torch, open_clip

cfg_name, tag = sys.argv[1], sys.argv[2]
extra = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
open_clip.add_model_config("/tmp/ref/coca/pasd-tiny-coca.json")
orig_create = open_clip.create_model_and_transforms


def tiny_create(model_name, pretrained=None, **kw):
    assert model_name == "coca_ViT-L-14" and pretrained == "mscoco_finetuned_laion2B-s13B-b90k"
    return orig_create("pasd-tiny-coca", pretrained="/tmp/ref/coca/open_clip_pytorch_model.bin", **kw)


open_clip.create_model_and_transforms = tiny_create

import diffusers.models.unets.unet_2d_blocks as _ub

sys.modules["diffusers.models.transformers.unet_2d_blocks"] = (
    _ub  # official pasd_light import path exists in no diffusers release
)
import test_pasd
from diffusers import AutoencoderKL
from pasd.pipelines.pipeline_pasd import StableDiffusionControlNetPipeline as P

rec = {}
orig_prep = P.prepare_latents


def prep(self, *a, **k):
    out = orig_prep(self, *a, **k)
    rec["init_latents"] = out.detach().clone()
    return out


P.prepare_latents = prep
orig_dec = AutoencoderKL.decode


def dec(self, z, *a, **k):
    rec["final_latents"] = (z * self.config.scaling_factor).detach().clone()
    out = orig_dec(self, z, *a, **k)
    rec["decoded"] = out[0].detach().clone()
    return out


AutoencoderKL.decode = dec
guess_mode = extra.pop("guess_mode", False)
if guess_mode:
    orig_call = P.__call__
    P.__call__ = functools.partialmethod(orig_call, guess_mode=True)
orig_prompt = test_pasd.get_validation_prompt


def prompt(*a, **k):
    p = orig_prompt(*a, **k)
    rec.setdefault("caption_prompt", p)
    return p


test_pasd.get_validation_prompt = prompt

args = dict(
    pretrained_model_path="/tmp/ref/models/sd15",
    lcm_lora_path="",
    pasd_model_path="/tmp/ref/models/pasd",
    personalized_model_path=None,
    control_type="realisr",
    high_level_info="caption",
    prompt="",
    added_prompt="clean, high-resolution, 8k",
    negative_prompt="blurry, dotted, noise, raster lines, unclear, lowres, over-smoothed",
    image_path="/tmp/ref/lq.png",
    output_dir=f"/tmp/ref/out/{tag}",
    mixed_precision="no",
    guidance_scale=9.0,
    conditioning_scale=1.0,
    blending_alpha=1.0,
    multiplier=0.6,
    num_inference_steps=3,
    process_size=64,
    decoder_tiled_size=224,
    encoder_tiled_size=1024,
    latent_tiled_size=320,
    latent_tiled_overlap=8,
    upscale=4,
    use_personalized_model=False,
    use_pasd_light=False,
    use_lcm_lora=False,
    use_blip=False,
    init_latent_with_noise=False,
    added_noise_level=900,
    offset_noise_scale=0.0,
    seed=0,
)
args.update(extra)
torch.manual_seed(0)
test_pasd.main(argparse.Namespace(**args), enable_xformers_memory_efficient_attention=False)
from PIL import Image
import os

name = os.path.splitext(os.path.basename(args["image_path"]))[0]
out = np.asarray(Image.open(f"{args['output_dir']}/{name}.png").convert("RGB"))
STORED_ARGS = (
    "control_type",
    "prompt",
    "added_prompt",
    "negative_prompt",
    "image_path",
    "guidance_scale",
    "num_inference_steps",
    "process_size",
    "latent_tiled_size",
    "latent_tiled_overlap",
    "upscale",
    "use_pasd_light",
    "added_noise_level",
    "seed",
)
stored = {k: args[k] for k in STORED_ARGS}
stored.update(image_path=os.path.basename(args["image_path"]), guess_mode=guess_mode)
np.savez_compressed(
    f"/tmp/ref/out/{tag}.npz",
    output=out,
    prompt=np.array(rec.get("caption_prompt", "")),
    **{k: rec[k].float().numpy() for k in ("init_latents", "final_latents")},
    args=np.array(json.dumps(stored)),
)
print(
    "saved",
    tag,
    out.shape,
    {k: tuple(v.shape) for k, v in rec.items() if torch.is_tensor(v)},
    repr(rec.get("caption_prompt")),
)
