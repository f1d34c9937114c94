"""``pasd-bench tiny``: write tiny random-weight SD1.5 + PASD folders for plumbing tests and demos."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

_VARIANTS = ("pasd", "pasd_rrdb", "pasd_light", "pasd_light_rrdb")


@click.command("tiny")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write.",
)
@click.option(
    "--variant", type=click.Choice(_VARIANTS), default="pasd", show_default=True, help="PASD release layout."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the weights.")
def command(out_dir: Path, variant: str, seed: int) -> None:
    """Write OUT/sd15 (a StableDiffusionPipeline folder) and OUT/VARIANT ({unet,controlnet}).

    The weights are random: outputs are noise, for testing the loading and inference plumbing only.
    """
    from pasd.tiny import save_tiny_pasd, save_tiny_sd

    sd_dir = save_tiny_sd(out_dir / "sd15", seed=seed)
    pasd_dir = save_tiny_pasd(out_dir / variant, variant=variant, seed=seed, sd_dir=sd_dir)
    click.echo(f"sd15: {sd_dir}")
    click.echo(f"{variant}: {pasd_dir}")
    # the default prompt source (CoCa) needs real weights; a tiny run uses none
    click.echo(
        "try: pasd-bench infer IMAGE --out OUT_DIR "
        f"--base {shlex.quote(str(sd_dir))} --pasd {shlex.quote(str(pasd_dir))} "
        "--prompt-source none --upscale 4 --process-size 64 --steps 2"
    )
