"""``pasd-bench study create | serve | analyze``: the blind user study (Figs 4 and 6)."""

from __future__ import annotations

import os
from pathlib import Path

import click


def _parse_methods(pairs: tuple[str, ...]) -> dict[str, Path]:
    methods: dict[str, Path] = {}
    for pair in pairs:
        name, sep, folder = pair.partition("=")
        if not sep or not name or not folder:
            raise click.BadParameter(f"{pair!r}: expected NAME=DIR", param_hint="--method")
        if name in methods:
            raise click.BadParameter(f"method {name!r} given twice", param_hint="--method")
        methods[name] = Path(folder)
    return methods


@click.group("study")
def command() -> None:
    """Blind user study: build a study folder, serve it to raters, analyze the votes."""


@command.command("create")
@click.option(
    "--inputs", required=True, type=click.Path(file_okay=False, path_type=Path), help="LQ input folder."
)
@click.option(
    "--method", "methods", multiple=True, required=True, metavar="NAME=DIR", help="Repeat per method."
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Study folder to create.")
@click.option("--n-images", default=40, show_default=True, type=click.IntRange(min=1))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option(
    "--gold", "n_gold", default=0, show_default=True, type=click.IntRange(min=0), help="Attention checks."
)
@click.option("--title", default="Image quality study", show_default=True)
@click.option("--link", type=click.Choice(["copy", "hardlink"]), default="copy", show_default=True)
def create_cmd(inputs, methods, out, n_images, seed, n_gold, title, link) -> None:
    """Pick images every method has and copy them into a self-contained study folder."""
    from benchmarks.study.create import create_study

    spec = create_study(
        inputs,
        _parse_methods(methods),
        out,
        n_images=n_images,
        seed=seed,
        n_gold=n_gold,
        title=title,
        link=link,
    )
    click.echo(
        f"{spec.study_id}: {len(spec.images)} images, {len(spec.gold)} gold trials, methods {spec.methods}"
    )
    click.echo(f"serve it with: pasd-bench study serve {out}")


@command.command("serve")
@click.argument("study_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--admin-token", default=None, help="Secret for /admin (default: $PASD_STUDY_ADMIN_TOKEN or random)."
)
def serve_cmd(study_dir, host, port, admin_token) -> None:
    """Serve the study to raters (consent, instructions, trials, completion code; /admin for exports)."""
    from benchmarks.study.serve import new_admin_token, serve_study

    token = admin_token or os.environ.get("PASD_STUDY_ADMIN_TOKEN") or new_admin_token()
    if not admin_token and not os.environ.get("PASD_STUDY_ADMIN_TOKEN"):
        click.echo(f"admin token (keep it secret): {token}", err=True)
    click.echo(f"participants: http://{host}:{port}/   admin: http://{host}:{port}/admin?token=...", err=True)
    serve_study(study_dir, host=host, port=port, admin_token=token)


@command.command("analyze")
@click.argument("study_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--votes", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Analyze this CSV export."
)
@click.option("--exclude-gold-failures", is_flag=True, help="Drop raters who failed any gold trial.")
@click.option("--complete-only", is_flag=True, help="Drop raters who did not finish.")
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0.001, 0.5))
@click.option("--n-boot", default=1000, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--highlight", default=None, help="Method drawn in the accent colour (default: the winner).")
def analyze_cmd(
    study_dir, out, votes, exclude_gold_failures, complete_only, alpha, n_boot, seed, highlight
) -> None:
    """Vote shares with simultaneous CIs, chi-square, Bradley-Terry, Fleiss kappa, position bias, chart."""
    from benchmarks.study.analyze import analyze_study

    result = analyze_study(
        study_dir,
        out,
        votes_csv=votes,
        exclude_gold_failures=exclude_gold_failures,
        complete_only=complete_only,
        alpha=alpha,
        n_boot=n_boot,
        seed=seed,
        highlight=highlight,
    )
    for row in result.summary.itertuples():
        click.echo(
            f"{row.Index:>20s}  {row.votes:5d}  {100 * row.share:5.1f}%  [{100 * row.ci_low:.1f}, {100 * row.ci_high:.1f}]"
        )
    click.echo(f"written to {out}")
