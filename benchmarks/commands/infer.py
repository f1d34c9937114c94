"""``pasd-bench infer``: run PASD on images (Real-ISR, personalized stylization, colorization)."""

from __future__ import annotations

from pathlib import Path

import click

from benchmarks.console import disable_progress_bars
from benchmarks.errors import items_exit_code
from pasd.utils.devices import check_device
from pasd.utils.image_io import ALPHA_POLICIES, DEFAULT_ALPHA

_SOURCES = ("caption", "blip", "class", "detect", "fixed", "none")
_PATH = click.Path(path_type=Path)


@click.command("infer")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (PNG per input, same stem).",
)
@click.option(
    "--base",
    "base_dir",
    type=_PATH,
    default=None,
    help="Diffusers SD1.5 folder [default: the sd15 artifact].",
)
@click.option(
    "--pasd",
    "pasd_dir",
    type=_PATH,
    default=None,
    help="PASD checkpoint folder with unet/ and controlnet/ [default: the --variant artifact].",
)
@click.option(
    "--variant",
    type=click.Choice(("pasd", "pasd_light", "pasd_rrdb", "pasd_light_rrdb")),
    default="pasd",
    show_default=True,
    help="Released model used when --pasd is not given.",
)
@click.option(
    "--upscale",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Output / input size (official default 1; x4 SR: 4).",
)
@click.option(
    "--process-size",
    type=click.IntRange(min=64),
    default=768,
    show_default=True,
    help="Short side the image is raised to before denoising.",
)
@click.option("--steps", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--cfg", type=click.FloatRange(min=0), default=9.0, show_default=True, help="Guidance scale.")
@click.option("--conditioning-scale", type=float, default=1.0, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--prompt-source",
    type=click.Choice(_SOURCES),
    default="caption",
    show_default=True,
    help="High-level information: caption = CoCa (official default), blip = --use_blip, none = null text.",
)
@click.option("--prompt", default="", help="Extra prompt text (the whole prompt with --prompt-source fixed).")
@click.option("--added-prompt", default=None, help="Positive words appended [default: official].")
@click.option("--negative-prompt", default=None, help="Negative prompt ('' for none) [default: official].")
@click.option(
    "--style-model",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Personalized base model: diffusers folder or single-file .safetensors.",
)
@click.option("--style-alpha", type=click.FloatRange(0, 1), default=1.0, show_default=True)
@click.option(
    "--lora", type=click.Path(exists=True, path_type=Path), default=None, help="LoRA file to merge."
)
@click.option("--lora-multiplier", type=float, default=0.6, show_default=True)
@click.option(
    "--lora-semantics",
    type=click.Choice(("official", "diffusers")),
    default="official",
    show_default=True,
    help="official: W += m * up @ down (.alpha ignored); diffusers: fuse_lora (alpha/rank).",
)
@click.option(
    "--lcm-lora",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="LCM-LoRA folder/file: fused, scheduler switched to LCM (use ~4 steps, --cfg 1.5).",
)
@click.option("--colorize", is_flag=True, help="Colorization (grayscale control, input luma kept).")
@click.option("--zero-snr", is_flag=True, help="Zero-terminal-SNR scheduler (colorization models).")
@click.option("--tile", type=click.IntRange(min=8), default=320, show_default=True, help="Latent tile size.")
@click.option("--tile-overlap", type=click.IntRange(min=0), default=8, show_default=True)
@click.option("--tile-batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--vae-encoder-tile", type=click.IntRange(min=64), default=1024, show_default=True)
@click.option("--vae-decoder-tile", type=click.IntRange(min=8), default=224, show_default=True)
@click.option("--no-vae-tiling", is_flag=True, help="Never tile the VAE (needs memory for the whole image).")
@click.option(
    "--guess-mode", is_flag=True, help="ControlNet on the conditional half only (diffusers guess mode)."
)
@click.option(
    "--color-fix-precision",
    type=click.Choice(("uint8", "float")),
    default="uint8",
    show_default=True,
    help="uint8: official 8-bit fix with truncation; float: fix the float decode.",
)
@click.option(
    "--color-fix", type=click.Choice(("wavelet", "adain", "none")), default="wavelet", show_default=True
)
@click.option("--init-noise", is_flag=True, help="Start from pure noise instead of the noised LQ latent.")
@click.option("--no-paca", is_flag=True, help="Ablation: ControlNet residuals only, PACA off.")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:1, ...")
@click.option(
    "--dtype", type=click.Choice(("auto", "fp32", "fp16", "bf16")), default="auto", show_default=True
)
@click.option(
    "--alpha",
    type=click.Choice(ALPHA_POLICIES),
    default=DEFAULT_ALPHA,
    show_default=True,
    help="Inputs with a translucent alpha channel: fail, ignore alpha, or composite onto white/black.",
)
@click.option("--progress/--no-progress", default=True, help="Progress bars (also model loading).")
@click.pass_context
def command(ctx, inputs, out_dir, base_dir, pasd_dir, variant, upscale, process_size, steps, cfg, conditioning_scale,
            seed, prompt_source, prompt, added_prompt, negative_prompt, style_model, style_alpha, lora,
            lora_multiplier, lora_semantics, lcm_lora, colorize, zero_snr, tile, tile_overlap, tile_batch,
            vae_encoder_tile, vae_decoder_tile, no_vae_tiling, guess_mode, color_fix_precision, color_fix,
            init_noise, no_paca, device, dtype, alpha, progress) -> None:  # fmt: skip
    """Restore INPUT images (files or folders) with PASD; writes OUT/<stem>.png, skipping done ones.

    Before any model loads, the device is checked and every input's size is compared with the
    free memory: an image too large is reported (with the tile size that would fit) and skipped.
    Exit codes: 0 all written; 1 some inputs failed (the others are written); 2 unusable options.
    """
    from pasd import hub
    from pasd.models import release_checkpoint_dir
    from pasd.pipeline.batch import collect_inputs, run_batch
    from pasd.pipeline.build import load_pipeline
    from pasd.pipeline.prompts import (
        ADDED_PROMPT,
        COLORIZE_SUBSTITUTIONS,
        create_prompt_source,
        substitute_words,
    )  # fmt: skip

    check_device(device)
    if not progress:
        disable_progress_bars()
    files = collect_inputs(inputs)
    files, too_large = _fitting(files, 1 if colorize else upscale, process_size, device)
    if not files:
        _report(too_large, [], 0, out_dir)
        ctx.exit(items_exit_code(len(too_large)))
    source_kwargs = {"text": prompt} if prompt_source == "fixed" else {}
    if prompt_source in ("caption", "blip", "class", "detect"):
        source_kwargs["device"] = device
    source = create_prompt_source(prompt_source, **source_kwargs).ensure_loaded()  # fail fast on weights
    base = base_dir if base_dir is not None else hub.resolve("sd15")
    scheduler_dir = None
    if pasd_dir is None:
        pasd_dir = release_checkpoint_dir("pasd_color" if colorize else variant)
        if colorize:  # the colour release ships its zero-SNR scheduler next to the checkpoint
            scheduler_dir, zero_snr = pasd_dir.parent / "scheduler", False
    pipe = load_pipeline(
        base, pasd_dir, device=device, dtype=dtype, style_model=style_model, style_alpha=style_alpha, lora=lora,
        lora_multiplier=lora_multiplier, lora_semantics=lora_semantics, lcm_lora=lcm_lora, zero_snr=zero_snr, scheduler_dir=scheduler_dir,
    )  # fmt: skip
    pipe.set_progress_bar_config(leave=False, desc="steps", disable=not progress)
    added = ("" if colorize else ADDED_PROMPT) if added_prompt is None else added_prompt
    user = "" if prompt_source == "fixed" else prompt

    def restore(rgb, generator):
        from PIL import Image

        text = source.compose(source(Image.fromarray(rgb)), user, added)
        if colorize:
            text = substitute_words(text, COLORIZE_SUBSTITUTIONS)
        out = pipe(
            rgb, prompt=text, negative_prompt=negative_prompt, task="colorization" if colorize else "realisr",
            upscale=upscale, process_size=process_size, num_inference_steps=steps, guidance_scale=cfg,
            conditioning_scale=conditioning_scale, generator=generator, init_latents="noise" if init_noise else "lq",
            color_fix=color_fix, tile_size=tile, tile_overlap=tile_overlap, tile_batch=tile_batch,
            vae_encoder_tile=None if no_vae_tiling else vae_encoder_tile, guess_mode=guess_mode,
            vae_decoder_tile=None if no_vae_tiling else vae_decoder_tile, color_fix_precision=color_fix_precision,
            use_paca=False if no_paca else None, output_type="np",
        )  # fmt: skip
        return out.images[0]

    summary = run_batch(restore, files, out_dir, seed=seed, progress=progress, alpha=alpha)
    failed = too_large + summary.failed
    _report(failed, summary.written, len(summary.skipped), out_dir)
    ctx.exit(items_exit_code(len(failed)))


def _report(failed: list[tuple[Path, str]], written: list[Path], done: int, out_dir: Path) -> None:
    for path, reason in failed:
        click.echo(f"skipped {path}: {reason}", err=True)
    click.echo(f"wrote {len(written)}, already done {done}, failed {len(failed)} -> {out_dir}")


def _fitting(
    files: list[Path], upscale: int, process_size: int, device: str
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Split inputs into those that fit in memory and those that do not (header sizes only).

    PASD works at the upscaled size with the short side raised to ``process_size`` (official
    ``test_pasd.py``), so that is the size the estimate uses.
    """
    from baselines.pasd_adapter import PASDMethod
    from pasd.utils.image_io import UnreadableImageError, image_size
    from pasd.utils.memory import ImageTooLargeError, available_bytes, check_fits

    free = available_bytes(device)
    keep, refused = [], []
    for path in files:
        try:
            w, h = image_size(path)
        except UnreadableImageError:
            keep.append(path)  # run_batch reports it with the reader's message
            continue
        # small inputs are processed larger than their output (short side raised to process_size)
        raise_by = max(1.0, process_size / max(1, min(w, h) * upscale)) ** 2
        per_px = (PASDMethod.bytes_per_output_pixel or 0.0) * raise_by
        try:
            check_fits(w, h, scale=upscale, bytes_per_output_pixel=per_px, device=device, what=str(path),
                       available=free)  # fmt: skip
        except ImageTooLargeError as exc:
            refused.append((path, str(exc)))
            continue
        keep.append(path)
    return keep, refused
