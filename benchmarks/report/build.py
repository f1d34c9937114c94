"""``pasd-bench report``: one static HTML page tying a results directory's tables and figures together.

Everything the page shows is written next to it (``tables/``, ``figures/``) and linked with
relative paths, so the folder can be zipped, mailed and opened offline. Each file is written
atomically; the page itself is written last, so a half-built report never has an index.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.report.figures import bar_figures, distribution_figures, extra_grid_figures, grid_figures
from benchmarks.results import ResultsStore
from benchmarks.results.seeds import first_seed, mean_over_seeds
from benchmarks.tables.build import build_table
from benchmarks.tables.names import is_random_weights, method_caveat, method_label
from benchmarks.tables.paper import load_paper_table
from benchmarks.tables.render import render, to_html
from benchmarks.tables.tables_io import official_counts
from pasd.utils.io import atomic_write_text

TEMPLATE_DIR = Path(__file__).parent / "templates"


def _tables(
    set_level, out: Path, ci: bool, paper: bool, paper_dir, official=None, labels=None
) -> list[dict[str, Any]]:
    items = []
    for t in (1, 2, 3):
        grid = build_table(t, set_level, ci=ci, n_official=official, labels=labels)
        if grid.is_empty:
            continue
        variants = [("", grid)]
        if paper:
            ref = load_paper_table(t, paper_dir)
            overlap = sorted(set(set_level["dataset"]) & set(ref["dataset"]))
            if overlap:
                variants.append(
                    (
                        "_vs_paper",
                        build_table(
                            t,
                            set_level,
                            paper=ref,
                            ci=ci,
                            datasets=overlap,
                            n_official=official,
                            labels=labels,
                        ),
                    )
                )
        for suffix, g in variants:
            files = {}
            for fmt in ("md", "tex", "csv"):
                rel = f"tables/table{t}{suffix}.{fmt}"
                atomic_write_text(out / rel, render(g, fmt))
                files[fmt] = rel
            items.append(
                {"number": t, "paper": bool(suffix), "caption": g.caption, "html": to_html(g), "files": files}
            )
    return items


def build_report(
    results: str | Path,
    out: str | Path | None = None,
    *,
    run_id: int | None = None,
    ci: bool = True,
    paper: bool = True,
    paper_dir: str | Path | None = None,
    grids: Mapping[str, Mapping] | None = None,
    max_grid_images: int = 2,
    title: str | None = None,
) -> Path:
    """Write ``index.html`` with tables, charts, distributions and comparison grids.

    Args:
        results: results directory (or its ``results.sqlite``).
        out: report folder (default ``<results>/report``).
        run_id: report one run; ``None``: the latest value of every cell across runs.
        ci: show bootstrap CIs in the tables.
        paper: add an ours / paper / delta table for datasets the paper also reports.
        paper_dir: folder of the paper CSVs.
        grids: extra comparison grids, name -> :func:`benchmarks.plots.comparison_grid` keyword arguments.
        max_grid_images: images per automatic grid (from the output folders the run recorded).
        title: page title (default: from the preset).

    Returns:
        The path of ``index.html``.

    Raises:
        FileNotFoundError: no results database. KeyError: unknown ``run_id``.
    """
    import jinja2
    from markupsafe import Markup  # a jinja2 dependency: our table HTML is escaped already

    results = Path(results)
    out = Path(out) if out is not None else (results if results.is_dir() else results.parent) / "report"
    with ResultsStore(results, create=False) as store:
        runs = store.runs()
        info = store.run(run_id if run_id is not None else store.latest_run_id()) if len(runs) else None
        # one cell per method entry (mean over seeds); grids and distributions show the first seed
        set_level = mean_over_seeds(store.set_level(run_id))
        per_image = first_seed(store.per_image(run_id))
        failures = store.failures(run_id)
        image_dirs = first_seed(store.image_dirs(run_id), by=("dataset", "role", "method"))
        official = official_counts(store, run_id)
        labels = store.method_labels(run_id)
        db_path = store.path
    figures = bar_figures(set_level, out) + distribution_figures(per_image, out)
    figures += grid_figures(image_dirs, out, max_grid_images) + extra_grid_figures(grids or {}, out)
    methods = sorted(set(set_level["method"]) | set(per_image["method"]))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True)
    html = env.get_template("report.html").render(
        title=title or f"pasd-bench report: {info['preset'] if info else 'no runs'}",
        generated=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        scope=f"run {run_id}" if run_id is not None else "latest value of every cell across all runs",
        run=info,
        env_json=json.dumps(info["env"], indent=2, sort_keys=True) if info else "",
        config_json=json.dumps(info["config"], indent=2, sort_keys=True) if info else "",
        runs=runs.to_dict("records"),
        tables=[
            {**t, "html": Markup(t["html"])}
            for t in _tables(set_level, out, ci, paper, paper_dir, official, labels)
        ],
        figures=figures,
        failures=failures.to_dict("records"),
        flagged=[method_label(m, labels) for m in methods if is_random_weights(m)],
        caveats=[f"{method_label(m, labels)}: {method_caveat(m)}" for m in methods if method_caveat(m)],
        db_link=os.path.relpath(db_path, out).replace(os.sep, "/"),
    )
    index = out / "index.html"
    atomic_write_text(index, html)
    return index
