"""What a run will do, decided before anything is written: per (method, dataset, seed) a job and its state."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from benchmarks.runner.preset import Entry, Preset

JobState = Literal["ready", "cached", "not-available", "weights-missing", "data-missing"]


@dataclass
class Job:
    method: Entry
    dataset: Entry
    seed: int
    state: JobState = "ready"
    reason: str = ""
    n_items: int = 0
    n_cached: int = 0
    method_key: str = ""
    label: str = ""

    @property
    def runnable(self) -> bool:
        return self.state in ("ready", "cached")


@dataclass
class Plan:
    preset: Preset
    out_dir: Path
    jobs: list[Job] = field(default_factory=list)
    metric_weights_missing: dict[str, list[str]] = field(default_factory=dict)


def build_plan(preset: Preset, out_dir: Path, device: str = "cpu") -> Plan:
    """Inspect methods, weights, datasets and the output cache; no file is written.

    Synthesized datasets whose HQ is present but LQ not yet made count as ready (the run
    synthesizes them first).
    """
    import baselines
    from benchmarks.datasets import create_dataset
    from benchmarks.metrics.configs import get_spec
    from benchmarks.runner.output_cache import OutputCache
    from pasd import hub

    plan = Plan(preset, Path(out_dir))
    for metric in preset.metrics:
        missing = hub.missing(get_spec(metric).weights)
        if missing:
            plan.metric_weights_missing[metric] = missing

    datasets: dict[str, tuple[int, str | None]] = {}
    for d in preset.datasets:
        try:
            datasets[d.name] = (create_dataset(d.name, d.root or ".", **d.params).planned_count(), None)
        except (FileNotFoundError, ValueError) as exc:  # ValueError: e.g. a folder set's clashing stems
            datasets[d.name] = (0, str(exc).splitlines()[0])

    for m in preset.methods:
        method, m_state, m_reason = None, "ready", ""
        if m.name not in baselines.METHODS:
            m_state, m_reason = "not-available", "no adapter in baselines/ yet"
        else:
            try:
                method = baselines.create_method(m.name, device=device, **m.params)
                missing = method.missing_weights()
                if missing:
                    m_state = "weights-missing"
                    m_reason = "; ".join(f"pasd-bench weights fetch {a}" for a in missing)
            except baselines.MethodNotAvailableError as exc:
                m_state, m_reason = "not-available", str(exc)
        for d in preset.datasets:
            n, err = datasets[d.name]
            for seed in preset.seeds:
                job = Job(m, d, seed, m_state, m_reason, n_items=n)
                if method is not None:
                    job.method_key, job.label = method.cache_key(), method.label
                else:
                    job.label = m.name
                if job.state == "ready" and err:
                    job.state, job.reason = "data-missing", err
                if job.state == "ready":
                    cache = OutputCache(plan.out_dir, m.name, job.method_key, d.name, seed)
                    job.n_cached = len(cache.cached_ids())
                    if n and job.n_cached >= n:
                        job.state = "cached"
                plan.jobs.append(job)
    return plan


def format_plan(plan: Plan) -> str:
    """The plan as a table a person reads before a long run starts."""
    from io import StringIO

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"plan: {plan.preset.name} -> {plan.out_dir}")
    for col in ("method", "dataset", "seed", "state", "images", "cached", "why"):
        table.add_column(col, overflow="fold")
    styles = {"ready": "green", "cached": "cyan"}
    for j in plan.jobs:
        style = styles.get(j.state, "red")
        table.add_row(
            j.label,
            j.dataset.name,
            str(j.seed),
            f"[{style}]{j.state}[/{style}]",
            str(j.n_items),
            str(j.n_cached),
            escape(j.reason),  # reasons hold pip extras like "pasd-bench[dctnet]", not rich markup
        )
    buf = StringIO()
    console = Console(file=buf, width=140)
    console.print(table)
    metrics = ", ".join(plan.preset.metrics)
    console.print(f"metrics: {metrics}")
    for metric, arts in plan.metric_weights_missing.items():
        console.print(
            f"  {metric}: weights missing ({', '.join(arts)}) -> reported as 'weights-missing', not scored"
        )
    for line in _protocol_lines(plan.preset):
        console.print(line, highlight=False)
    return buf.getvalue()


def _protocol_lines(preset: Preset) -> list[str]:
    """The preset's shared params and reference set (and whether the reference is on disk)."""
    from benchmarks.metrics.configs import get_spec
    from benchmarks.runner.reference import locate_reference
    from benchmarks.runner.shared_settings import describe_reference

    lines = [f"shared: {k}={v}" for k, v in preset.shared.items()]
    if preset.reference is not None or (
        preset.task == "stylization" and any(get_spec(m).mode == "set" for m in preset.metrics)
    ):
        _, why = locate_reference(preset.reference)
        state = "" if why is None or preset.reference is None else f" -- not usable: {why}"
        lines.append(
            f"reference set (FID/CLIP-FID where there is no ground truth): {describe_reference(preset.reference)}{state}"
        )
    return lines
