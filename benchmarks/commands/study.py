"""``pasd-bench study create | serve | analyze | export``: the blind user study (Figs 4 and 6).

Errors follow the suite's exit-code convention through :mod:`benchmarks.errors` (bad options,
missing folders, no votes: exit 2), so the commands here translate nothing themselves.
"""

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


def _text_value(value: str | None) -> str | None:
    """``@FILE`` reads the text from a file (long consent or instructions texts)."""
    if value and value.startswith("@"):
        path = Path(value[1:])
        if not path.is_file():
            raise click.BadParameter(f"no file {path}")
        return path.read_text(encoding="utf-8").strip()
    return value


@click.group("study")
def command() -> None:
    """Blind user study: build a study folder, serve it to raters, analyze and export the votes."""


@command.command("create")
@click.option(
    "--inputs", required=True, type=click.Path(file_okay=False, path_type=Path), help="LQ input folder."
)
@click.option(
    "--method", "methods", multiple=True, required=True, metavar="NAME=DIR", help="Repeat per method."
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Study folder to create.")
@click.option(
    "--design",
    type=click.Choice(["best-of-n", "pairwise", "mos"]),
    default="best-of-n",
    show_default=True,
    help="Choose the best of all methods; pairwise 2AFC with a tie answer; or MOS 1-5 ratings.",
)
@click.option("--n-images", default=40, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--images-per-rater",
    type=click.IntRange(min=1),
    default=None,
    help="Balanced subset of images per rater (default: all).",
)
@click.option(
    "--raters-per-image",
    type=click.IntRange(min=1),
    default=None,
    help="Close the study once every image has this many raters.",
)
@click.option(
    "--pairs-per-image",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Pairwise design: method pairs per image and rater.",
)
@click.option(
    "--gold", "n_gold", default=0, show_default=True, type=click.IntRange(min=0), help="Attention checks."
)
@click.option(
    "--repeats",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Trials shown twice per rater (consistency check).",
)
@click.option(
    "--min-view-ms",
    default=1000,
    show_default=True,
    type=click.IntRange(0, 600_000),
    help="Answers sooner than this after the trial was served are refused.",
)
@click.option(
    "--reference/--no-reference", default=None, help="Show the LQ input (default: yes, except for MOS)."
)
@click.option(
    "--desktop-only", is_flag=True, help="Refuse phones and screens narrower than --min-screen-width."
)
@click.option("--min-screen-width", default=1024, show_default=True, type=click.IntRange(0, 10_000))
@click.option(
    "--completion-url", default="", help="Where finished raters are sent; {code} is their completion code."
)
@click.option(
    "--allow-repeat-ids",
    is_flag=True,
    help="Let one platform id (Prolific PID, MTurk worker) take part twice.",
)
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--title", default="Image quality study", show_default=True)
@click.option("--question", default=None, help="The question above every trial (@FILE reads a file).")
@click.option("--instructions", default=None, help="Instructions text (@FILE reads a file).")
@click.option("--consent", default=None, help="Consent text (@FILE reads a file).")
@click.option(
    "--text",
    "text_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="JSON/TOML table overriding any rater-facing string (translations).",
)
def create_cmd(inputs, methods, out, design, n_images, images_per_rater, raters_per_image, pairs_per_image, n_gold,
               repeats, min_view_ms, reference, desktop_only, min_screen_width, completion_url, allow_repeat_ids, seed,
               title, question, instructions, consent, text_file) -> None:  # fmt: skip
    """Pick images every method has and re-encode them blind into a self-contained study folder."""
    from benchmarks.study.create import create_study
    from benchmarks.study.text import load_text_file

    text = load_text_file(text_file) if text_file else {}
    for key, value in (("question", question), ("instructions", instructions), ("consent", consent)):
        if value is not None:
            text[key] = _text_value(value)
    spec = create_study(
        inputs, _parse_methods(methods), out, n_images=n_images, seed=seed, n_gold=n_gold, title=title,
        design=design, text=text, images_per_rater=images_per_rater, raters_per_image=raters_per_image,
        pairs_per_image=pairs_per_image, repeats=repeats, min_view_ms=min_view_ms, show_reference=reference,
        desktop_only=desktop_only, min_screen_width=min_screen_width, completion_url=completion_url,
        one_per_external_id=not allow_repeat_ids,
    )  # fmt: skip
    click.echo(
        f"{spec.study_id} ({spec.design}): {len(spec.images)} images, {len(spec.gold)} gold trials, "
        f"{spec.n_trials} trials per rater, methods {spec.methods}"
    )
    click.echo(f"serve it with: pasd-bench study serve {out}")


@command.command("serve")
@click.argument("study_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--admin-token", default=None, help="Secret for /admin (default: $PASD_STUDY_ADMIN_TOKEN or random)."
)
@click.option(
    "--max-body-kb",
    default=16,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Larger request bodies are refused (413) before parsing.",
)
@click.option(
    "--rate-limit",
    default="20/600",
    show_default=True,
    metavar="N/SECONDS",
    help="New participants allowed per client address and window (0: no limit).",
)
@click.option(
    "--secure-cookie/--no-secure-cookie",
    default=None,
    help="Set the Secure cookie flag (default: when the request came over https).",
)
@click.option(
    "--completion-url", default=None, help="Override the study's completion URL ({code}: the code)."
)
@click.option(
    "--forwarded-allow-ips",
    default=None,
    help="Trust X-Forwarded-For/-Proto from these proxy addresses (uvicorn's setting).",
)
def serve_cmd(study_dir, host, port, admin_token, max_body_kb, rate_limit, secure_cookie, completion_url,
              forwarded_allow_ips) -> None:  # fmt: skip
    """Serve the study to raters (consent, instructions, trials, completion; /admin/login for exports)."""
    from benchmarks.study.guard import parse_rate
    from benchmarks.study.serve import new_admin_token, serve_study

    token = admin_token or os.environ.get("PASD_STUDY_ADMIN_TOKEN") or new_admin_token()
    if not admin_token and not os.environ.get("PASD_STUDY_ADMIN_TOKEN"):
        click.echo(f"admin token (keep it secret): {token}", err=True)
    click.echo(f"participants: http://{host}:{port}/   admin: http://{host}:{port}/admin/login", err=True)
    serve_study(
        study_dir, host=host, port=port, admin_token=token, max_body_bytes=max_body_kb * 1024,
        new_participants=parse_rate(rate_limit), secure_cookie=secure_cookie, completion_url=completion_url,
        forwarded_allow_ips=forwarded_allow_ips,
    )  # fmt: skip


@command.command("analyze")
@click.argument("study_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--votes", type=click.Path(dir_okay=False, exists=True, path_type=Path), help="Analyze this CSV export."
)
@click.option("--exclude-gold-failures", is_flag=True, help="Drop raters who failed any gold trial.")
@click.option(
    "--exclude-too-fast", is_flag=True, help="Drop raters whose median server-timed answer is too fast."
)
@click.option(
    "--exclude-inconsistent", is_flag=True, help="Drop raters who disagree with themselves on repeats."
)
@click.option("--complete-only", is_flag=True, help="Drop raters who did not finish.")
@click.option("--too-fast-ms", default=1000.0, show_default=True, type=click.FloatRange(0))
@click.option("--min-consistency", default=0.5, show_default=True, type=click.FloatRange(0, 1))
@click.option("--alpha", default=0.05, show_default=True, type=click.FloatRange(0.001, 0.5))
@click.option("--n-boot", default=1000, show_default=True, type=click.IntRange(min=0))
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--highlight", default=None, help="Method drawn in the accent colour (default: the winner).")
def analyze_cmd(study_dir, out, votes, exclude_gold_failures, exclude_too_fast, exclude_inconsistent, complete_only,
                too_fast_ms, min_consistency, alpha, n_boot, seed, highlight) -> None:  # fmt: skip
    """The design's statistics with rater-clustered intervals, quality flags, and the chart."""
    from benchmarks.study.analyze import analyze_study

    result = analyze_study(
        study_dir, out, votes_csv=votes, exclude_gold_failures=exclude_gold_failures,
        exclude_too_fast=exclude_too_fast, exclude_inconsistent=exclude_inconsistent, complete_only=complete_only,
        too_fast_ms=too_fast_ms, min_consistency=min_consistency, alpha=alpha, n_boot=n_boot, seed=seed,
        highlight=highlight,
    )  # fmt: skip
    design = result.report["design"]
    col, scale = {"best-of-n": ("share", 100), "pairwise": ("bt_strength", 100), "mos": ("mos", 1)}[design]
    for row in result.summary.itertuples():
        v, lo, hi = (scale * getattr(row, c) for c in (col, "ci_low", "ci_high"))
        click.echo(f"{row.Index:>20s}  {v:6.2f}  [{lo:.2f}, {hi:.2f}]")
    click.echo(f"intervals: {result.report['interval']}")
    click.echo(f"written to {out}")


@command.command("export")
@click.argument("study_dir", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="CSV file to write."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["votes", "long"]),
    default="long",
    show_default=True,
    help="One row per vote, or one row per option shown (for mixed-effects models).",
)
def export_cmd(study_dir, out, fmt) -> None:
    """Write the study's votes as CSV (formula-safe), straight from its database."""
    from benchmarks.study.export import LONG_COLUMNS, long_records, to_csv, vote_records
    from benchmarks.study.spec import VOTES_DB, load_study
    from benchmarks.study.store import VoteStore
    from pasd.utils.io import atomic_write_text

    db = study_dir / VOTES_DB
    if not db.is_file():
        raise FileNotFoundError(f"no votes yet: {db} does not exist (serve the study first)")
    store = VoteStore(db, load_study(study_dir))
    body = to_csv(long_records(store), LONG_COLUMNS) if fmt == "long" else to_csv(vote_records(store))
    atomic_write_text(out, body)
    click.echo(f"{body.count(chr(10)) - 1} rows written to {out}")
