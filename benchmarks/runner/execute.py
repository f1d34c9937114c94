"""Run a plan: make missing outputs (cached, resumable), score each job, write the results store."""

from __future__ import annotations

import logging
import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from benchmarks.runner.distributed import Dist, init_from_env
from benchmarks.runner.output_cache import OutputCache, input_digest
from benchmarks.runner.plan import Job, Plan, build_plan
from benchmarks.runner.preset import Preset

logger = logging.getLogger(__name__)


@dataclass
class RunSummary:
    run_id: int | None
    out_dir: Path
    plan: Plan
    made: int = 0
    reused: int = 0
    failures: list[tuple[str, str, str, str]] = field(default_factory=list)  # method, dataset, image, error


def _dataset(job: Job):
    from benchmarks.datasets import create_dataset

    return create_dataset(job.dataset.name, job.dataset.root or ".", **job.dataset.params)


def _make_outputs(
    job: Job, plan: Plan, dist: Dist, device: str, progress: bool, summary: RunSummary, store
) -> None:
    import baselines

    ds = _dataset(job)
    if hasattr(ds, "prepare"):
        if dist.main:
            ds.prepare(progress=progress)  # resumable; only rank 0 writes the synthetic set
        dist.barrier()
    items = ds.items()
    cache = OutputCache(plan.out_dir, job.method.name, job.method_key, job.dataset.name, job.seed)
    method = None
    bar = tqdm(dist.shard(items), desc=f"{job.label} / {job.dataset.name}", disable=not progress, leave=False)
    for item in bar:
        try:
            lq = ds.load_lq(item)
            digest = input_digest(lq)
            if cache.has(item.id, digest):
                summary.reused += 1
                continue
            if method is None:
                method = baselines.create_method(job.method.name, device=device, **job.method.params)
            seed = job.seed if method.stochastic else None
            out = method.process_item(lq, seed, names=(item.id, item.lq.stem))
            cache.put(item.id, digest, out)
            summary.made += 1
            if store is not None:
                store.clear_failure(summary.run_id, job.method.name, job.dataset.name, item.id)
        except Exception as exc:  # one bad image or a method crash must not end the run
            msg = f"{type(exc).__name__}: {exc}"
            logger.warning("%s / %s / %s failed: %s", job.method.name, job.dataset.name, item.id, msg)
            logger.debug("%s", traceback.format_exc())
            summary.failures.append((job.method.name, job.dataset.name, item.id, msg))
            if store is not None:
                store.put_failure(summary.run_id, job.method.name, job.dataset.name, item.id, msg)


def _link(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    if dest.is_symlink() or dest.exists():
        dest.unlink()
    os.symlink(src.resolve(), dest)


def _score(job: Job, plan: Plan, device: str, progress: bool, store, run_id: int, failed=frozenset()) -> None:
    """Score the job's outputs against the dataset's HQ through views of symlinks (paired by item id).

    ``failed``: ids that failed in this run; an older cached output of theirs is kept on disk but
    not scored (its input or pair is broken now, e.g. an HQ of the wrong size).
    """
    from benchmarks.metrics.engine import EngineOptions, evaluate
    from benchmarks.metrics.results import MISSING

    ds = _dataset(job)
    cache = OutputCache(plan.out_dir, job.method.name, job.method_key, job.dataset.name, job.seed)
    view = (
        plan.out_dir / "views" / f"{job.method.name}-{job.method_key}" / job.dataset.name / f"seed{job.seed}"
    )
    done = cache.cached_ids()
    items = [i for i in ds.items() if i.id in done and i.id not in failed]
    if not items:
        for metric in plan.preset.metrics:
            store.put_set_level(run_id, job.method.name, job.dataset.name, metric, None, status="failed",
                                note="no outputs")  # fmt: skip
        return
    keep = {i.id for i in items}
    for sub in ("pred", "gt"):  # links left by an earlier run for items not scored now
        for link in sorted((view / sub).iterdir()) if (view / sub).is_dir() else ():
            if link.is_symlink() and link.stem not in keep:
                link.unlink()
    for item in items:
        _link(cache.path(item.id), view / "pred" / f"{item.id}.png")
        if item.hq is not None:
            _link(item.hq, view / "gt" / f"{item.id}{item.hq.suffix}")
    store.put_image_dir(run_id, job.dataset.name, cache.dir, method=job.method.name)
    store.put_image_dir(run_id, job.dataset.name, items[0].lq.parent, role="lq")
    if items[0].hq is not None:
        store.put_image_dir(run_id, job.dataset.name, items[0].hq.parent, role="hq")
    has_gt = all(i.hq is not None for i in items)
    metrics = list(plan.preset.metrics)
    if not has_gt:
        from benchmarks.metrics.configs import get_spec
        from benchmarks.runner.reference import score_against_reference

        paired = [m for m in metrics if get_spec(m).mode == "FR"]
        for m in paired:
            store.put_set_level(run_id, job.method.name, job.dataset.name, m, None, status="not-available",
                                note="dataset has no ground truth for this metric")  # fmt: skip
        # FID/CLIP-FID compare with the preset's reference set (or say there is none)
        sets = [m for m in metrics if get_spec(m).mode == "set"]
        if sets:
            score_against_reference(run_id, store, job.method.name, job.dataset.name, view / "pred", sets,
                                    plan.preset.reference, device, plan.out_dir / "feature-cache")  # fmt: skip
        metrics = [m for m in metrics if m not in paired and m not in sets]
        if not metrics:
            return
    opts = EngineOptions(device=device, skip_missing=True, cache_dir=str(plan.out_dir / "feature-cache"),
                         **plan.preset.card().engine_fields())  # fmt: skip
    result = evaluate(view / "pred", view / "gt" if has_gt else None, metrics, opts, progress=progress)
    per_image = result.per_image
    numeric = [
        c for c in per_image.columns if c not in ("image", "status") and not (per_image[c] == MISSING).any()
    ]
    store.put_per_image_frame(run_id, job.method.name, job.dataset.name, per_image[["image", *numeric]])
    for metric, entry in result.summary["metrics"].items():
        if entry.get("status") == MISSING:
            store.put_set_level(run_id, job.method.name, job.dataset.name, metric, None, status="weights-missing",
                                note=entry.get("reason"))  # fmt: skip
            continue
        value = entry.get("mean", entry.get("value"))
        n = entry.get("n") or entry.get("counts", {}).get("pred")
        store.put_set_level(run_id, job.method.name, job.dataset.name, metric, value,
                            ci_low=entry.get("ci_low"), ci_high=entry.get("ci_high"), n=n)  # fmt: skip


def run_preset(
    preset: Preset,
    out_dir: str | Path,
    device: str = "cpu",
    progress: bool = True,
    dist: Dist | None = None,
    on_plan=None,
) -> RunSummary:
    """Run every runnable job of ``preset`` into ``out_dir`` and record the results.

    Every process lists the cache (``build_plan``) before any process writes; outputs are
    made sharded across processes; scoring and the store's run record happen on rank 0.

    Args:
        on_plan: called with the :class:`Plan` on rank 0 before any work (the CLI prints it).
    """
    from benchmarks.env import collect_env
    from benchmarks.results import ResultsStore

    dist = dist or init_from_env()
    out_dir = Path(out_dir)
    plan = build_plan(preset, out_dir, device)
    dist.barrier()
    if dist.main and on_plan is not None:
        on_plan(plan)
    store = ResultsStore(out_dir) if dist.main else None
    run_id = None
    if store is not None:
        weights = {art: str(p) for art, p in _resolved_weights(plan).items()}
        env = collect_env()
        run_id = store.add_run(
            preset.name,
            {**preset.as_dict(), "device": device},
            env,
            weights=weights,
            git_revision=env["git_revision"],
        )
    summary = RunSummary(run_id, out_dir, plan)
    try:
        runnable = [j for j in plan.jobs if j.runnable]
        for job in tqdm(runnable, desc="jobs", disable=not progress or not dist.main):
            _make_outputs(job, plan, dist, device, progress, summary, store)
            dist.barrier()
            if dist.main:
                key = (job.method.name, job.dataset.name)
                failed = {i for m, d, i, _ in summary.failures if (m, d) == key}
                _score(job, plan, device, progress, store, run_id, failed)
        if dist.main:
            for job in plan.jobs:
                if not job.runnable:
                    for metric in preset.metrics:
                        store.put_set_level(run_id, job.method.name, job.dataset.name, metric, None,
                                            status=job.state if job.state != "data-missing" else "not-available",
                                            note=job.reason)  # fmt: skip
            for metric, arts in plan.metric_weights_missing.items():
                logger.info("%s not scored: weights missing (%s)", metric, ", ".join(arts))
    finally:
        if store is not None:
            store.close()
    return summary


def _resolved_weights(plan: Plan) -> dict[str, Path]:
    """Artifact -> path for every weight a runnable job or metric uses (recorded with the run)."""
    import baselines
    from benchmarks.metrics.configs import get_spec
    from pasd import hub

    names: set[str] = set()
    for m in plan.preset.metrics:
        names.update(get_spec(m).weights)
    for job in plan.jobs:
        if job.runnable and job.method.name in baselines.METHODS:
            names.update(baselines.METHODS.get(job.method.name).weights)
    located = {name: hub.locate(name) for name in sorted(names)}
    return {name: path for name, path in located.items() if path is not None}
