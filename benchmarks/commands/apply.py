"""``pasd-bench apply METHOD INPUT... --out DIR``: run any registered method on files and folders."""

from __future__ import annotations

from pathlib import Path

import click


def _create(name: str, device: str, params: dict, tile: int | None):
    """The method, or :class:`~benchmarks.errors.UnusableInputError` saying why it cannot be used."""
    import baselines
    from benchmarks.errors import UnusableInputError

    try:
        method = baselines.create_method(name, device=device, **params)
        if tile is not None:
            if "tile" in params:
                raise UnusableInputError("give the tile size once: --tile N or --param tile=N")
            if "tile" not in method.options:
                raise UnusableInputError(
                    f"{name} has no tile setting (its settings: {sorted(method.options) or 'none'})"
                )
            method = baselines.create_method(name, device=device, **params, tile=tile)
    except TypeError as exc:  # a param of the wrong type; adapters name themselves in their messages
        raise UnusableInputError(str(exc)) from exc
    missing = method.missing_weights()
    if missing:
        raise UnusableInputError(f"{name} needs weights that are not on disk: "
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
@click.pass_context
def command(ctx, method_name, inputs, out_dir, params, device, seed, tile, no_progress) -> None:  # fmt: skip
    """Run METHOD on INPUT images (files or folders); finished images are skipped on a rerun.

    Outputs are cached like the runner's: the folder is named by the method's settings, so other
    --param values write a new folder instead of overwriting. Exit 0: all images done; 1: some
    failed (listed, the rest written); 2: unusable input (unknown method or param, missing
    weights, no images, unavailable device).
    """
    import logging

    from benchmarks.errors import UnusableInputError, items_exit_code
    from benchmarks.runner.apply import apply_method, check_device, parse_params
    from pasd.hub.errors import MissingWeightsError
    from pasd.pipeline.batch import collect_inputs

    # errors are reported by benchmarks.errors (cli.py): unknown names, bad params, missing weights
    # or folders and an unusable device exit 2 with one line; nothing here prints a traceback
    files = collect_inputs(inputs)
    parsed = parse_params(params)
    check_device(device)
    if no_progress:
        from benchmarks.console import disable_progress_bars

        disable_progress_bars()  # model loading's bars too
    if not files:
        raise UnusableInputError(f"no images in {', '.join(map(str, inputs))}")
    method = _create(method_name, device, parsed, tile)
    try:
        method.ensure_loaded()
    except MissingWeightsError:
        raise
    except Exception as exc:  # corrupt weights, out of memory, ...: nothing was written yet
        logging.getLogger(__name__).debug("load failed", exc_info=True)
        raise UnusableInputError(f"could not load {method_name}: {type(exc).__name__}: {exc}") from exc
    try:
        summary = apply_method(method, files, out_dir, seed=seed, progress=not no_progress)
    except OSError as exc:
        raise UnusableInputError(f"cannot write to {out_dir}: {exc}") from exc
    for path, reason in summary.failed:
        click.echo(f"failed {path}: {reason}", err=True)
    click.echo(f"{method.label}: wrote {len(summary.written)}, already done {len(summary.skipped)}, "
               f"failed {len(summary.failed)} -> {summary.out_dir}")  # fmt: skip
    ctx.exit(items_exit_code(len(summary.failed)))
