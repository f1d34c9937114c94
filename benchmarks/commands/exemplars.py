"""``pasd-bench style-exemplars``: a seeded, hashed image set from a personalized model (the Table 2 FID reference)."""

from __future__ import annotations

import click


@click.command("style-exemplars")
@click.option(
    "--preset", default=None, help="Take the settings from this preset's `reference` table (e.g. table2)."
)
@click.option(
    "--set", "settings", multiple=True, metavar="KEY=VALUE", help="Preset overrides, as for `run --set`."
)
@click.option("--model", default=None, help="Style model (artifact name or path) when no --preset is given.")
@click.option("--n", "count", type=int, default=None, help="Number of images (default 100).")
@click.option("--seed", type=int, default=None, help="First seed; image i uses seed + i (default 0).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Folder (default: $PASD_BENCH_HOME/references/<model>-n<N>-seed<S>-<settings hash>).")  # fmt: skip
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:1, ...")
@click.option("--no-progress", is_flag=True, help="No progress bar.")
def command(preset, settings, model, count, seed, out_dir, device, no_progress) -> None:  # fmt: skip
    """Generate (or finish) the exemplar set: SD1.5 with the style model swapped in, one seed per image.

    Writes PNGs and manifest.json (settings, each file's sha256, the set digest). A run whose
    preset has `reference = { generated = ... }` with the same settings finds the set by itself.
    """
    from benchmarks.exemplars import exemplar_settings, generate_exemplars, read_manifest
    from pasd.utils.devices import check_device

    # a bad preset, setting, style model or device exits 2 with one line (benchmarks.errors via cli.py)
    check_device(device)
    if no_progress:
        from benchmarks.console import disable_progress_bars

        disable_progress_bars()
    if preset is not None:
        from benchmarks.runner.preset import load_preset

        ref = load_preset(preset, overrides=list(settings)).reference
        if ref is None or "generated" not in ref:
            raise click.UsageError(f"preset {preset!r} has no `reference = {{ generated = ... }}` table")
    elif model is None:
        raise click.UsageError("give --preset NAME or --model MODEL")
    else:
        ref = exemplar_settings({"generated": model})
    overrides = {k: v for k, v in (("generated", model), ("n", count), ("seed", seed)) if v is not None}
    ref = exemplar_settings({**ref, **overrides})
    folder = generate_exemplars(ref, out_dir, device=device, progress=not no_progress)
    manifest = read_manifest(folder) or {}
    click.echo(
        f"{len(manifest.get('files', {}))} exemplars in {folder} (digest {manifest.get('digest', '?')})"
    )
