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
    #: what the plan, logs and tables show (the preset entry's label, or the method's own label)
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

    @property
    def method_id(self) -> str:
        """The preset entry's id: what the results store keys this job's cells by."""
        return self.method.id


@dataclass
class Plan:
    preset: Preset
    out_dir: Path
    jobs: list[Job] = field(default_factory=list)
    metric_weights_missing: dict[str, list[str]] = field(default_factory=dict)
    #: metric -> the artifacts it loads under the preset's protocol card (``weights_for``)
    metric_weights: dict[str, tuple[str, ...]] = field(default_factory=dict)
    datasets: dict[str, DatasetCheck] = field(default_factory=dict)
    #: settings that cannot be used at all (a method's unknown params, an unknown dataset)
    errors: list[str] = field(default_factory=list)
    #: artifacts a method's constructor could not resolve (e.g. a style model): not in any job.weights
    unresolved_weights: set[str] = field(default_factory=set)

    def artifacts(self) -> list[str]:
        """Every :mod:`pasd.hub` artifact the preset uses: its methods' and its metrics' (under the card).

        A method that could not be created contributes its class's declared weights, so the list
        is complete for a preset whose weights are all missing (``pasd-bench weights fetch --preset``).
        """
        import baselines

        names: set[str] = set(self.unresolved_weights)
        for arts in self.metric_weights.values():
            names.update(arts)
        for job in self.jobs:
            if job.instance is not None:
                names.update(job.weights)
            elif job.method.name in baselines.METHODS:
                names.update(getattr(baselines.METHODS.get(job.method.name), "weights", ()))
        return sorted(names)

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
    except (KeyError, TypeError, ValueError, OSError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        return DatasetCheck(entry, "missing", reason=f"cannot be created: {msg}", root=str(entry.root))
    official = ds.expected_count
    try:
        n = ds.planned_count()
    except (OSError, ValueError, KeyError) as exc:
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


def metric_weights(preset: Preset) -> dict[str, tuple[str, ...]]:
    """Metric -> the artifacts it loads under the preset's protocol card (its resolved options).

    Raises:
        KeyError / ValueError / FileNotFoundError: the preset's card cannot be read.
    """
    from benchmarks.metrics.configs import weights_for
    from benchmarks.metrics.engine import EngineOptions, resolved_options

    opts = EngineOptions(**preset.card().engine_fields())
    return {m: weights_for(m, resolved_options(m, opts)) for m in preset.metrics}


def _create(m: Entry, device: str, plan: Plan):
    """``(method or None, state, reason)`` for one preset entry; a setting that cannot work is a plan error.

    Nothing a method's constructor raises escapes: bad params (unknown, missing, wrong type) and
    anything unexpected become a line of :meth:`Plan.problems` (the run exits 2 with it) instead
    of a traceback.
    """
    import baselines
    from pasd.hub.errors import MissingWeightsError
    from pasd.utils.optional import MissingDependencyError

    if m.name not in baselines.METHODS:
        return None, "not-available", _unknown_method_reason(m.name, list(baselines.METHODS))
    try:
        method = baselines.create_method(m.name, device=device, **m.params)
        missing = method.missing_weights()
        method.cache_key()  # identities are computed now: a broken weights folder shows here
    except baselines.MethodNotAvailableError as exc:
        return None, "not-available", str(exc)
    except MissingDependencyError as exc:
        return None, "not-available", str(exc)
    except MissingWeightsError as exc:  # raised by constructors that resolve an artifact early
        plan.unresolved_weights.add(exc.name)
        return None, "weights-missing", f"pasd-bench weights fetch {exc.name}"
    except (TypeError, ValueError, KeyError) as exc:  # unknown, missing or bad params: fix the preset
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        plan.errors.append(f"method {m.id} (params {m.params}): {msg}")
        return None, "not-available", f"bad params: {msg}"
    except Exception as exc:  # noqa: BLE001 - e.g. an unreadable file a param names; never a traceback
        msg = f"{type(exc).__name__}: {exc}"
        plan.errors.append(f"method {m.id} (params {m.params}) cannot be created: {msg}")
        return None, "not-available", f"cannot be created: {msg}"
    if missing:
        return method, "weights-missing", "; ".join(f"pasd-bench weights fetch {a}" for a in missing)
    return method, "ready", ""


def _job_label(m: Entry, method) -> str:  # noqa: ANN001 - a baselines Method or None
    """The entry's label, else the method's own (``pasd-tiny (random weights)``), plus the id's params key."""
    from benchmarks.results.method_ids import split_method_id

    if m.given_label:
        return m.given_label
    own = method.label if method is not None else m.name
    _, key = split_method_id(m.id)
    return own if key is None or key == own else f"{own} [{key}]"


def build_plan(preset: Preset, out_dir: Path, device: str = "cpu") -> Plan:
    """Inspect methods, weights, datasets and the output cache; no file is written.

    Synthesized datasets whose HQ is present but LQ not yet made count as ready (the run
    synthesizes them first). A job on a missing dataset reads ``data-missing`` even when its
    weights are missing too (the data is the first thing to fix; the reason names both); only a
    method that cannot run here at all (``not-available``) keeps that state.
    """
    from benchmarks.runner.output_cache import OutputCache
    from pasd import hub

    plan = Plan(preset, Path(out_dir))
    try:
        plan.metric_weights = metric_weights(preset)
    except (KeyError, ValueError, FileNotFoundError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        plan.errors.append(f"protocol {preset.protocol!r} cannot be used: {msg}")
        plan.metric_weights = {m: () for m in preset.metrics}
    for metric, arts in plan.metric_weights.items():
        missing = hub.missing(arts)
        if missing:
            plan.metric_weights_missing[metric] = missing
    for d in preset.datasets:
        plan.datasets[d.name] = check_dataset(d)

    for m in preset.methods:
        method, m_state, m_reason = _create(m, device, plan)
        identity = method.cache_identity() if method is not None else {}
        key = method.cache_key() if method is not None else ""
        for d in preset.datasets:
            check = plan.datasets[d.name]
            for seed in preset.seeds:
                job = Job(m, d, seed, m_state, m_reason, n_items=check.n_items)
                job.label = _job_label(m, method)
                if method is not None:
                    job.method_key, job.identity, job.instance = key, identity, method
                    job.weights = tuple(method.weights)
                if job.state in ("ready", "weights-missing") and check.state == "missing":
                    also = f"; also weights missing: {job.reason}" if job.state == "weights-missing" else ""
                    job.state, job.reason = "data-missing", check.reason + also
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
