"""``pasd-bench apply METHOD INPUT... --out DIR``: run any registered method on files and folders."""

from __future__ import annotations

from pathlib import Path

import click

#: exit codes (the suite's convention): 0 all good, 1 some images failed, 2 unusable input
EXIT_SOME_FAILED, EXIT_UNUSABLE = 1, 2


def _unusable(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    raise click.exceptions.Exit(EXIT_UNUSABLE)


def _create(name: str, device: str, params: dict, tile: int | None):
    import baselines
    from pasd.hub.errors import MissingWeightsError
    from pasd.utils.optional import MissingDependencyError
    from pasd.utils.registry import UnknownNameError

    try:
        method = baselines.create_method(name, device=device, **params)
        if tile is not None:
            if "tile" in params:
                _unusable("give the tile size once: --tile N or --param tile=N")
            if "tile" not in method.options:
                _unusable(f"{name} has no tile setting (its settings: {sorted(method.options) or 'none'})")
            method = baselines.create_method(name, device=device, **params, tile=tile)
    except (
        UnknownNameError,
        MissingDependencyError,
        MissingWeightsError,
        baselines.MethodNotAvailableError,
    ) as exc:
        _unusable(str(exc))
    except (ValueError, TypeError) as exc:  # adapters name themselves in their messages
        _unusable(str(exc))
    missing = method.missing_weights()
    if missing:
        _unusable(f"{name} needs weights that are not on disk: "
                  + "; ".join(f"pasd-bench weights fetch {a}" for a in missing))  # fmt: skip
    return method


@click.command("apply")
@click.argument("method_name", metavar="METHOD")
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder; outputs go to OUT/<method>-<params key>/[seed<N>/]<stem>.png.",
)
@click.option("--param", "params", multiple=True, metavar="KEY=VALUE", help="A method setting (repeatable).")
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda, cuda:1, ...")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of stochastic methods.")
@click.option(
    "--tile", type=click.IntRange(min=1), default=None, help="The method's tile size (its `tile` setting)."
)
@click.option("--no-progress", is_flag=True, help="No progress bar (CI logs).")
def command(method_name, inputs, out_dir, params, device, seed, tile, no_progress) -> None:  # fmt: skip
    """Run METHOD on INPUT images (files or folders); finished images are skipped on a rerun.

    Outputs are cached like the runner's: the folder is named by the method's settings, so other
    --param values write a new folder instead of overwriting. Exit 0: all images done; 1: some
    failed (listed, the rest written); 2: unusable input (unknown method or param, missing
    weights, no images, unavailable device).
    """
    import logging

    from benchmarks.runner.apply import apply_method, check_device, parse_params
    from pasd.hub.errors import MissingWeightsError
    from pasd.pipeline.batch import collect_inputs

    try:
        files = collect_inputs(inputs)
        parsed = parse_params(params)
        check_device(device)
    except (FileNotFoundError, ValueError) as exc:
        _unusable(str(exc))
    if not files:
        _unusable(f"no images in {', '.join(map(str, inputs))}")
    method = _create(method_name, device, parsed, tile)
    try:
        method.ensure_loaded()
    except MissingWeightsError as exc:
        _unusable(str(exc))
    except Exception as exc:  # corrupt weights, out of memory, ...: nothing was written yet
        logging.getLogger(__name__).debug("load failed", exc_info=True)
        _unusable(f"could not load {method_name}: {type(exc).__name__}: {exc}")
    try:
        summary = apply_method(method, files, out_dir, seed=seed, progress=not no_progress)
    except OSError as exc:
        _unusable(f"cannot write to {out_dir}: {exc}")
    for path, reason in summary.failed:
        click.echo(f"failed {path}: {reason}", err=True)
    click.echo(f"{method.label}: wrote {len(summary.written)}, already done {len(summary.skipped)}, "
               f"failed {len(summary.failed)} -> {summary.out_dir}")  # fmt: skip
    if summary.failed:
        raise click.exceptions.Exit(EXIT_SOME_FAILED)
