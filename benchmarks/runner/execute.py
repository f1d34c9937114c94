"""Run a plan: make missing outputs (cached, resumable), score each job, write the results store.

Before any work: the device is checked, and a plan with problems (missing or partial datasets,
bad method settings, nothing runnable) is refused. The run is recorded as ``running`` with every
planned cell ``pending``; it ends ``complete``, ``failed`` (with the error) or ``interrupted``
(Ctrl-C / SIGTERM; a SIGKILLed run is recognised by its dead process), so an unfinished method
shows up in tables as such instead of silently missing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import os
import shutil
import signal
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from benchmarks.errors import UnusableInputError
from benchmarks.runner.distributed import Dist, init_from_env
from benchmarks.runner.output_cache import OutputCache, input_digest
from benchmarks.runner.plan import Job, Plan, build_plan
from benchmarks.runner.preset import Preset, preset_sha256
from pasd.utils.devices import check_device

logger = logging.getLogger(__name__)


class PlanError(UnusableInputError):
    """The plan has problems (missing/partial data, bad settings, nothing to run): nothing was run."""

    def __init__(self, plan: Plan, problems: list[str]) -> None:
        self.plan = plan
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        hint = ""
        if plan.missing_datasets() or plan.partial_datasets():
            hint = "\n(--allow-partial runs what is there; tables then flag numbers on fewer images)"
        super().__init__(f"run refused before any work:\n{lines}{hint}")


@dataclass
class RunSummary:
    run_id: int | None
    out_dir: Path
    plan: Plan
    made: int = 0
    reused: int = 0
    #: (method entry id, dataset, image, error); the seed is in the log and the store
    failures: list[tuple[str, str, str, str]] = field(default_factory=list)
    #: (method entry id, dataset, metric, reason): cells that could not be scored (outputs kept)
    score_failures: list[tuple[str, str, str, str]] = field(default_factory=list)


def _dataset(job: Job):
    from benchmarks.datasets import create_dataset

    return create_dataset(job.dataset.name, job.dataset.root or ".", **job.dataset.params)


def _where(job: Job) -> str:
    return f"{job.method_id} / {job.dataset.name} / seed {job.seed}"


def _fail(summary: RunSummary, store, job: Job, image: str, msg: str, failed: set[str] | None = None) -> None:
    logger.warning("%s / %s failed: %s", _where(job), image, msg)
    summary.failures.append((job.method_id, job.dataset.name, image, msg))
    if failed is not None:
        failed.add(image)
    if store is not None:
        store.put_failure(summary.run_id, job.method_id, job.dataset.name, image, msg, seed=job.seed)


def _make_outputs(
    job: Job, plan: Plan, dist: Dist, device: str, progress: bool, summary: RunSummary, store,
    prepared: set[str],
) -> set[str]:  # fmt: skip
    """Make the job's missing outputs; returns the ids that failed in this run (not scored)."""
    import baselines

    failed: set[str] = set()
    ds = _dataset(job)
    if hasattr(ds, "prepare") and job.dataset.name not in prepared:
        if dist.main:
            ds.prepare(progress=progress)  # resumable; only rank 0 writes the synthetic set
        dist.barrier()
        prepared.add(job.dataset.name)
    if dist.main:
        for image, reason in ds.unavailable_items().items():
            _fail(summary, store, job, image, reason, failed)
    items = ds.items()
    cache = OutputCache(plan.out_dir, job.method.name, job.method_key, job.dataset.name, job.seed)
    method = job.instance
    bar = tqdm(dist.shard(items), desc=f"{job.label} / {job.dataset.name}", disable=not progress, leave=False)
    for item in bar:
        try:
            lq = ds.load_lq(item)
            digest = input_digest(lq)
            if cache.has(item.id, digest):
                summary.reused += 1
                continue
            if method is None:
                method = job.instance = baselines.create_method(
                    job.method.name, device=device, **job.method.params
                )
            method.check_fits(lq.shape[1], lq.shape[0], what=f"{job.dataset.name}/{item.id}")
            seed = job.seed if method.stochastic else None
            out = method.process_item(lq, seed, names=(item.id, item.lq.stem))
            cache.put(item.id, digest, out)
            summary.made += 1
            if store is not None:
                store.clear_failure(summary.run_id, job.method_id, job.dataset.name, item.id, seed=job.seed)
        except Exception as exc:  # one bad image or a method crash must not end the run
            logger.debug("%s", traceback.format_exc())
            _fail(summary, store, job, item.id, f"{type(exc).__name__}: {exc}", failed)
    return failed


def _link(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_symlink() or dest.exists():
        dest.unlink()
    os.symlink(src.resolve(), dest)


def engine_options(plan: Plan, device: str):
    """The metric-engine settings every job is scored with (recorded in the run's config)."""
    from benchmarks.metrics.engine import EngineOptions

    return EngineOptions(device=device, skip_missing=True, cache_dir=str(plan.out_dir / "feature-cache"),
                         **plan.preset.card().engine_fields())  # fmt: skip


@dataclass
class _View:
    """A job's outputs (and HQ) as folders of links paired by item id, and what is left to score."""

    job: Job
    path: Path
    metrics: list[str]  # for the engine (those scored against a reference set are done)
    has_gt: bool
    errors: dict[str, str]  # metric -> reason, cells already known to fail


def _cell_writer(store, run_id: int, job: Job):
    """``cell(metric, value=None, **kw)``: one set-level cell of ``job`` (its entry id and seed)."""

    def cell(metric: str, value: float | None = None, **kw: Any) -> None:
        store.put_set_level(run_id, job.method_id, job.dataset.name, metric, value, seed=job.seed, **kw)

    return cell


def _prepare(
    job: Job, plan: Plan, device: str, store, run_id: int, failed: frozenset[str] | set[str] = frozenset()
) -> _View | None:  # fmt: skip
    """Link the job's outputs against the dataset's HQ into a view (paired by item id), record the job.

    Cells that need no engine pass are written here: "no outputs", FR metrics of a dataset without
    ground truth, set metrics against the preset's reference set.

    Args:
        failed: ids that failed in this run; an older cached output of theirs is kept on disk but
            not scored (its input or pair is broken now, e.g. an HQ of the wrong size).

    Returns:
        ``None`` when the job has no outputs to score.
    """
    from benchmarks.metrics.configs import get_spec

    ds = _dataset(job)
    mid, seed = job.method_id, job.seed
    cache = OutputCache(plan.out_dir, job.method.name, job.method_key, job.dataset.name, seed)
    view = plan.out_dir / "views" / f"{job.method.name}-{job.method_key}" / job.dataset.name / f"seed{seed}"
    done = cache.cached_ids()
    items = [i for i in ds.items() if i.id in done and i.id not in failed]
    digests = cache.input_digests({i.id for i in items})
    inputs = hashlib.sha256("".join(f"{k}={v}\n" for k, v in sorted(digests.items())).encode()).hexdigest()
    store.put_job(run_id, mid, job.dataset.name, seed, state=job.state, reason=job.reason or None,
                  method_key=job.method_key, version=job.identity.get("version"),
                  options=job.identity.get("options"), weights=job.identity.get("weights"),
                  n_items=len(items), inputs_digest=inputs, method_name=job.method.name,
                  label=job.method.given_label)  # fmt: skip

    cell = _cell_writer(store, run_id, job)
    metrics = plan.scored_metrics
    if not items:
        for metric in metrics:
            cell(metric, status="failed", note="no outputs")
        return None
    errors: dict[str, str] = {}
    shutil.rmtree(view, ignore_errors=True)  # symlinks only: outputs of removed images are not scored
    for item in items:
        _link(cache.path(item.id), view / "pred" / f"{item.id}.png")
        if item.hq is not None:
            _link(item.hq, view / "gt" / f"{item.id}{item.hq.suffix}")
    store.put_image_dir(run_id, job.dataset.name, cache.dir, method=mid, seed=seed)
    store.put_image_dir(run_id, job.dataset.name, items[0].lq.parent, role="lq")
    if items[0].hq is not None:
        store.put_image_dir(run_id, job.dataset.name, items[0].hq.parent, role="hq")
    has_gt = all(i.hq is not None for i in items)
    if not has_gt:
        from benchmarks.runner.reference import score_against_reference

        paired = [m for m in metrics if get_spec(m).mode == "FR"]
        for m in paired:
            cell(m, status="not-available", note="dataset has no ground truth for this metric")
        # FID/CLIP-FID compare with the preset's reference set (or say there is none)
        sets = [m for m in metrics if get_spec(m).mode == "set"]
        if sets:
            try:
                score_against_reference(run_id, store, mid, job.dataset.name, view / "pred", sets,
                                        plan.preset.reference, device, plan.out_dir / "feature-cache",
                                        seed=seed)  # fmt: skip
            except Exception as exc:  # noqa: BLE001 - a bad reference set fails its cells, not the run
                logger.debug("%s", traceback.format_exc())
                msg = f"{type(exc).__name__}: {exc}"
                logger.warning("%s: scoring against the reference set failed: %s", _where(job), msg)
                errors.update({m: f"reference set: {msg}" for m in sets})
        metrics = [m for m in metrics if m not in paired and m not in sets]
    return _View(job, view, metrics, has_gt, errors)


def _score_group(views: list[_View], plan: Plan, device: str, progress: bool, store, run_id: int) -> list:
    """Score the prepared jobs of one dataset and seed; ``(job, metric, reason)`` of every failed cell.

    Jobs with ground truth are scored together (``score_many``: every GT file decoded once, the GT
    side of LPIPS/DISTS/FID computed once), and each job's numbers equal ``evaluate`` of its view
    alone. Nothing here ends the run: if the joint pass fails, each job is scored on its own
    (``_evaluate``, which falls back to one metric at a time), so one bad method or metric becomes
    failed cells with the reason while the others get their numbers.
    """
    from benchmarks.metrics.engine import score_many

    opts = engine_options(plan, device)
    joint = [v for v in views if v.has_gt and v.metrics]  # with GT nothing was scored before: all metrics
    results: dict[int, list] = {}
    if len(joint) > 1:
        labels = {f"{v.job.method_id}-seed{v.job.seed}": v for v in joint}
        try:
            many = score_many({k: v.path / "pred" for k, v in labels.items()},
                              {k: v.path / "gt" for k, v in labels.items()}, joint[0].metrics, opts,
                              progress=progress)  # fmt: skip
            results = {id(v): [many[k]] for k, v in labels.items()}
        except Exception as exc:  # noqa: BLE001 - retried job by job below, then recorded as failed cells
            logger.debug("%s", traceback.format_exc())
            logger.info("joint scoring of %d jobs failed (%s); scoring them one by one", len(joint), exc)
    failures = []
    for v in views:
        if v.metrics and id(v) not in results:
            found, failed_metrics = _evaluate(v.job, v.path / "pred", v.path / "gt" if v.has_gt else None,
                                              v.metrics, opts, progress)  # fmt: skip
            results[id(v)] = found
            v.errors.update(failed_metrics)
        cell = _cell_writer(store, run_id, v.job)
        _store_results(results.get(id(v), []), cell, store, run_id, v.job)
        for m, msg in v.errors.items():
            cell(m, status="failed", note=msg)
            failures.append((v.job, m, msg))
    return failures


def _score_groups(jobs: list[Job]) -> list[list[Job]]:
    """Runnable jobs grouped by (dataset, seed), groups and jobs in plan order."""
    groups: dict[tuple[str, int], list[Job]] = {}
    for job in jobs:
        groups.setdefault((job.dataset.name, job.seed), []).append(job)
    return list(groups.values())


def _evaluate(job: Job, pred: Path, gt: Path | None, metrics: list[str], opts, progress: bool):
    """``(results, errors)``: every metric scored in one pass; if that pass fails, each metric alone.

    A metric the engine cannot build under the protocol card (e.g. a MUSIQ variant without weights
    wiring) or cannot score on these images must not take the others down with it: after a failed
    joint pass, each metric is scored on its own and those that still fail are returned in
    ``errors`` (metric -> reason) for failed cells.
    """
    from benchmarks.metrics.engine import evaluate

    def reason(exc: Exception) -> str:
        return f"{type(exc).__name__}: {exc}"

    try:
        return [evaluate(pred, gt, metrics, opts, progress=progress)], {}
    except Exception as exc:  # noqa: BLE001 - recorded as failed cells; the outputs stay cached
        logger.debug("%s", traceback.format_exc())
        if len(metrics) == 1:
            logger.warning("%s: scoring %s failed: %s", _where(job), metrics[0], reason(exc))
            return [], {metrics[0]: f"{reason(exc)} (protocol {opts.protocol})"}
    results, errors = [], {}
    for m in metrics:
        try:
            results.append(evaluate(pred, gt, [m], opts, progress=False))
        except Exception as exc:  # noqa: BLE001 - as above, per metric
            logger.debug("%s", traceback.format_exc())
            logger.warning("%s: scoring %s failed: %s", _where(job), m, reason(exc))
            errors[m] = f"{reason(exc)} (protocol {opts.protocol})"
    return results, errors


def _store_results(results: list, cell, store, run_id: int, job: Job) -> None:
    from benchmarks.metrics.results import MISSING

    for result in results:
        per_image = result.per_image
        numeric = [
            c
            for c in per_image.columns
            if c not in ("image", "status") and not (per_image[c] == MISSING).any()
        ]
        if numeric:
            store.put_per_image_frame(run_id, job.method_id, job.dataset.name, per_image[["image", *numeric]],
                                      seed=job.seed)  # fmt: skip
        for metric, entry in result.summary["metrics"].items():
            if entry.get("status") == MISSING:
                cell(metric, status="weights-missing", note=entry.get("reason"))
                continue
            value = entry.get("mean", entry.get("value"))
            n = entry.get("n") or entry.get("counts", {}).get("pred")
            cell(metric, value, ci_low=entry.get("ci_low"), ci_high=entry.get("ci_high"), n=n)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a scheduler's kill, `timeout`) ends the run like Ctrl-C: marked, finished work kept."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):  # noqa: ANN001, ARG001 - signal's signature
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_config(plan: Plan, device: str, allow_partial: bool) -> dict[str, Any]:
    """The resolved configuration stored with a run: preset, methods' options, engine and metric settings."""
    from benchmarks.metrics.configs import get_spec

    preset = plan.preset
    preset_sha = preset_sha256(preset)
    from benchmarks.metrics.engine import resolved_options

    methods: dict[str, Any] = {}
    for job in plan.jobs:  # per preset entry (its id): two entries of one method are both recorded
        methods.setdefault(job.method_id, {
            "name": job.method.name, "label": job.label, "state": job.state, "reason": job.reason or None,
            "method_key": job.method_key, "weights_used": list(job.weights), **job.identity,
        })  # fmt: skip
    opts = engine_options(plan, device)
    return {
        **preset.as_dict(),
        "device": device,
        "preset_sha256": preset_sha,
        "allow_partial": allow_partial,
        "methods_resolved": methods,
        "engine": dataclasses.asdict(opts),
        # each metric as the engine builds it under the protocol card: its options and the weights
        # those options load (weights_for), not the preset's defaults
        "metric_specs": {
            m: {
                "type": get_spec(m).type,
                "mode": get_spec(m).mode,
                "options": resolved_options(m, opts),
                "weights": list(plan.metric_weights.get(m, get_spec(m).weights)),
            }
            for m in preset.metrics
        },  # fmt: skip
        "metrics_scored": plan.scored_metrics,
        "metrics_weights_missing": plan.metric_weights_missing,
    }


def _record_plan(store, run_id: int, plan: Plan) -> None:
    """Datasets, job provenance and a "pending" cell for everything this run means to score."""
    for name, d in plan.datasets.items():
        store.put_dataset(run_id, name, state=d.state, n_items=d.n_items, n_official=d.n_official,
                          root=d.root or None, reason=d.reason or None)  # fmt: skip
    for job in plan.jobs:
        mid, ds, seed = job.method_id, job.dataset.name, job.seed
        store.put_job(run_id, mid, ds, seed, state=job.state,
                      reason=job.reason or None, method_key=job.method_key or None,
                      version=job.identity.get("version"), options=job.identity.get("options"),
                      weights=job.identity.get("weights"), n_items=job.n_items, method_name=job.method.name,
                      label=job.method.given_label)  # fmt: skip
        if not job.runnable:
            for metric in plan.preset.metrics:
                store.put_set_level(
                    run_id, mid, ds, metric, None, status=job.state, note=job.reason, seed=seed
                )
            continue
        for metric in plan.preset.metrics:
            if metric in plan.metric_weights_missing:
                arts = ", ".join(plan.metric_weights_missing[metric])
                store.put_set_level(run_id, mid, ds, metric, None, status="weights-missing",
                                    note=f"weights missing: {arts}", seed=seed)  # fmt: skip
            else:
                store.put_set_level(run_id, mid, ds, metric, None, status="pending", note="not scored yet",
                                    seed=seed)  # fmt: skip


def run_preset(
    preset: Preset,
    out_dir: str | Path,
    device: str = "cpu",
    progress: bool = True,
    dist: Dist | None = None,
    on_plan=None,
    allow_partial: bool = False,
) -> RunSummary:
    """Run every runnable job of ``preset`` into ``out_dir`` and record the results.

    Every process lists the cache (``build_plan``) before any process writes; outputs are
    made sharded across processes; scoring and the store's run record happen on rank 0.

    Args:
        on_plan: called with the :class:`Plan` on rank 0 before any work (the CLI prints it).
        allow_partial: run even when datasets are missing or have fewer items than the official
            set (their cells read "data missing"; tables flag numbers on fewer images).

    Raises:
        DeviceUnavailableError: ``device`` cannot be used here (before anything else).
        PlanError: the plan has problems (see :meth:`Plan.problems`); nothing was written.
    """
    from benchmarks.env import collect_env
    from benchmarks.results import ResultsStore
    from pasd.hub.identity import identify

    check_device(device)
    dist = dist or init_from_env()
    out_dir = Path(out_dir)
    plan = build_plan(preset, out_dir, device)
    dist.barrier()
    if dist.main and on_plan is not None:
        on_plan(plan)
    problems = plan.problems(allow_partial)
    if problems:
        raise PlanError(plan, problems)
    store = ResultsStore(out_dir) if dist.main else None
    run_id = None
    if store is not None:
        weights = {name: identify(name) for name in _used_weights(plan)}
        env = collect_env()
        run_id = store.add_run(preset.name, run_config(plan, device, allow_partial), env,
                               weights={k: v for k, v in weights.items() if v is not None},
                               git_revision=env["git_revision"], status="running")  # fmt: skip
        _record_plan(store, run_id, plan)
    summary = RunSummary(run_id, out_dir, plan)
    status, error = "failed", None
    try:
        with _sigterm_interrupts():
            prepared: set[str] = set()
            runnable = [j for j in plan.jobs if j.runnable]
            bar = tqdm(total=len(runnable), desc="jobs", disable=not progress or not dist.main)
            # a dataset's jobs are made first, then scored together (the GT side once for all methods)
            for group in _score_groups(runnable):
                views = []
                for job in group:
                    failed = _make_outputs(job, plan, dist, device, progress, summary, store, prepared)
                    dist.barrier()
                    bar.update(1)
                    if dist.main:
                        views.append(_prepare(job, plan, device, store, run_id, failed))
                if dist.main:
                    ready = [v for v in views if v is not None]
                    for job, metric, why in _score_group(ready, plan, device, progress, store, run_id):
                        summary.score_failures.append((job.method_id, job.dataset.name, metric, why))
            bar.close()
        status = "complete"
    except KeyboardInterrupt:
        status, error = "interrupted", "interrupted by the user or a signal"
        raise
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if store is not None:
            store.finish_run(run_id, status, error)
            store.close()
    return summary


def _used_weights(plan: Plan) -> list[str]:
    """Artifacts the run actually uses: scored metrics' (under the protocol card) and runnable instances'."""
    names: set[str] = set()
    for m in plan.scored_metrics:
        names.update(plan.metric_weights.get(m, ()))
    for job in plan.jobs:
        if job.runnable:
            names.update(job.weights)
    return sorted(names)
