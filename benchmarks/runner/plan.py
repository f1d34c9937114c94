"""What a run will do, decided before anything is written: datasets found, and per (method, dataset,
seed) a job and its state.

A plan names every reason a run would mislead: datasets that are missing or have fewer items than
the official set, method settings that do not parse, methods or metrics that cannot run. The
runner refuses a plan with problems (:meth:`Plan.problems`) before any work, unless the user
accepts partial data (``--allow-partial``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from benchmarks.runner.preset import Entry, Preset

JobState = Literal["ready", "cached", "not-available", "weights-missing", "data-missing"]
DatasetState = Literal["ok", "partial", "missing"]


@dataclass
class DatasetCheck:
    """What the plan found of one dataset: all of the official set, part of it, or nothing."""

    entry: Entry
    state: DatasetState
    n_items: int = 0
    n_official: int | None = None
    reason: str = ""
    root: str = ""

    @property
    def counts(self) -> str:
        """``"3/100"`` (official count known) or ``"3"``."""
        return f"{self.n_items}/{self.n_official}" if self.n_official else str(self.n_items)


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
    #: provenance: the method's resolved options, version and weights identities (cache_identity())
    identity: dict[str, Any] = field(default_factory=dict)
    #: artifact names this method instance uses (instance-level: e.g. PASD's prompt model)
    weights: tuple[str, ...] = ()
    #: the method instance, shared by all jobs of one preset entry (so networks load once)
    instance: Any = field(default=None, repr=False, compare=False)

    @property
    def runnable(self) -> bool:
        return self.state in ("ready", "cached")


@dataclass
class Plan:
    preset: Preset
    out_dir: Path
    jobs: list[Job] = field(default_factory=list)
    metric_weights_missing: dict[str, list[str]] = field(default_factory=dict)
    datasets: dict[str, DatasetCheck] = field(default_factory=dict)
    #: settings that cannot be used at all (a method's unknown params, an unknown dataset)
    errors: list[str] = field(default_factory=list)

    @property
    def scored_metrics(self) -> list[str]:
        """The preset's metrics whose weights are present (the others are recorded as weights-missing)."""
        return [m for m in self.preset.metrics if m not in self.metric_weights_missing]

    def missing_datasets(self) -> list[DatasetCheck]:
        return [d for d in self.datasets.values() if d.state == "missing"]

    def partial_datasets(self) -> list[DatasetCheck]:
        return [d for d in self.datasets.values() if d.state == "partial"]

    def problems(self, allow_partial: bool = False) -> list[str]:
        """Why this plan must not run: errors, missing datasets, partial ones (unless allowed), nothing runnable.

        With ``allow_partial`` a missing or partial dataset is accepted (its cells read "data missing",
        and tables flag numbers computed on fewer images than the official set).
        """
        out = list(self.errors)
        if not allow_partial:
            for d in self.missing_datasets():
                out.append(f"dataset {d.entry.name} is missing: {d.reason}")
            for d in self.partial_datasets():
                out.append(
                    f"dataset {d.entry.name} is partial: {d.n_items} of the official {d.n_official} items "
                    f"under {d.root}"
                )
        if not out and not any(j.runnable for j in self.jobs):
            states = sorted({j.state for j in self.jobs})
            out.append(f"nothing to run: every job is {' / '.join(states) or 'absent'} (see the plan)")
        return out


def check_dataset(entry: Entry) -> DatasetCheck:
    """Count a dataset's items without decoding them; never raises for a bad folder."""
    from benchmarks.datasets import create_dataset

    try:
        ds = create_dataset(entry.name, entry.root or ".", **entry.params)
    except (KeyError, TypeError, ValueError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        return DatasetCheck(entry, "missing", reason=f"cannot be created: {msg}", root=str(entry.root))
    official = ds.expected_count
    try:
        n = ds.planned_count()
    except (FileNotFoundError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        return DatasetCheck(entry, "missing", 0, official, f"{first} (get it: {ds.source})", str(ds.root))
    if n == 0:
        return DatasetCheck(entry, "missing", 0, official, f"no images under {ds.root}", str(ds.root))
    if official is not None and n < official:
        return DatasetCheck(entry, "partial", n, official, f"{n} of {official} items", str(ds.root))
    return DatasetCheck(entry, "ok", n, official, "", str(ds.root))


def _unknown_method_reason(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return f"no adapter named {name!r} in baselines/{hint}"


def build_plan(preset: Preset, out_dir: Path, device: str = "cpu") -> Plan:
    """Inspect methods, weights, datasets and the output cache; no file is written.

    Synthesized datasets whose HQ is present but LQ not yet made count as ready (the run
    synthesizes them first).
    """
    import baselines
    from benchmarks.metrics.configs import get_spec
    from benchmarks.runner.output_cache import OutputCache
    from pasd import hub

    plan = Plan(preset, Path(out_dir))
    for metric in preset.metrics:
        missing = hub.missing(get_spec(metric).weights)
        if missing:
            plan.metric_weights_missing[metric] = missing
    for d in preset.datasets:
        plan.datasets[d.name] = check_dataset(d)

    for m in preset.methods:
        method, m_state, m_reason = None, "ready", ""
        if m.name not in baselines.METHODS:
            m_state, m_reason = "not-available", _unknown_method_reason(m.name, list(baselines.METHODS))
        else:
            try:
                method = baselines.create_method(m.name, device=device, **m.params)
                missing = method.missing_weights()
                if missing:
                    m_state = "weights-missing"
                    m_reason = "; ".join(f"pasd-bench weights fetch {a}" for a in missing)
            except baselines.MethodNotAvailableError as exc:
                m_state, m_reason = "not-available", str(exc)
            except (TypeError, ValueError) as exc:  # unknown or bad params: the preset must be fixed
                plan.errors.append(f"method {m.name} (params {m.params}): {exc}")
                m_state, m_reason = "not-available", f"bad params: {exc}"
        identity = method.cache_identity() if method is not None else {}
        key = method.cache_key() if method is not None else ""
        for d in preset.datasets:
            check = plan.datasets[d.name]
            for seed in preset.seeds:
                job = Job(m, d, seed, m_state, m_reason, n_items=check.n_items)
                job.label = method.label if method is not None else m.name
                if method is not None:
                    job.method_key, job.identity, job.instance = key, identity, method
                    job.weights = tuple(method.weights)
                if job.state == "ready" and check.state == "missing":
                    job.state, job.reason = "data-missing", check.reason
                if job.state == "ready":
                    cache = OutputCache(plan.out_dir, m.name, job.method_key, d.name, seed)
                    job.n_cached = len(cache.cached_ids())
                    if check.n_items and job.n_cached >= check.n_items:
                        job.state = "cached"
                plan.jobs.append(job)
    return plan


def format_plan(plan: Plan, allow_partial: bool = False, show_problems: bool = True) -> str:
    """The plan as tables a person reads before a long run starts: datasets, jobs, metrics, problems.

    Args:
        show_problems: list :meth:`Plan.problems` at the end (the runner's error lists them instead).
    """
    from io import StringIO

    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buf = StringIO()
    console = Console(file=buf, width=140)
    dstyles = {"ok": "green", "partial": "yellow", "missing": "red"}
    dtable = Table(title=f"datasets of {plan.preset.name}")
    for col in ("dataset", "state", "images", "root", "why"):
        dtable.add_column(col, overflow="fold")
    for d in plan.datasets.values():
        style = dstyles[d.state]
        dtable.add_row(
            d.entry.name, f"[{style}]{d.state}[/{style}]", d.counts, escape(d.root), escape(d.reason)
        )
    console.print(dtable)

    table = Table(title=f"plan: {plan.preset.name} -> {plan.out_dir}")
    for col in ("method", "dataset", "seed", "state", "images", "cached", "why"):
        table.add_column(col, overflow="fold")
    styles = {"ready": "green", "cached": "cyan"}
    for j in plan.jobs:
        style = styles.get(j.state, "red")
        table.add_row(escape(j.label), j.dataset.name, str(j.seed), f"[{style}]{j.state}[/{style}]",
                      str(j.n_items), str(j.n_cached), escape(j.reason))  # fmt: skip
    console.print(table)
    console.print(f"metrics: {', '.join(plan.preset.metrics)}")
    for metric, arts in plan.metric_weights_missing.items():
        console.print(
            f"  {metric}: weights missing ({', '.join(arts)}) -> reported as 'weights-missing', not scored"
        )
    for line in _protocol_lines(plan.preset):
        console.print(escape(line), highlight=False)
    problems = plan.problems(allow_partial)
    if problems and show_problems:
        console.print("[red]this run would mislead; fix these first:[/red]")
        for p in problems:
            console.print(f"  - {escape(p)}")
        if not allow_partial and (plan.missing_datasets() or plan.partial_datasets()):
            console.print(
                "  (`pasd-bench data verify NAME --root DIR` checks a dataset; --allow-partial runs what is "
                "there, and tables flag numbers on fewer images than the official set)"
            )
    elif not problems and allow_partial and (plan.missing_datasets() or plan.partial_datasets()):
        names = ", ".join(
            f"{d.entry.name} ({d.counts})" for d in [*plan.missing_datasets(), *plan.partial_datasets()]
        )
        console.print(f"[yellow]--allow-partial: running with incomplete datasets: {names}[/yellow]")
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
