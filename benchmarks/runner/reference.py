"""Where a preset's reference set is on disk, and FID/CLIP-FID of a job's outputs against it.

Used for datasets without ground truth (stylization); see :mod:`benchmarks.runner.shared_settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks.runner.shared_settings import NO_REFERENCE, describe_reference


def locate_reference(reference: dict[str, Any] | None) -> tuple[Path | None, str | None]:
    """``(folder, None)`` for a usable reference set, else ``(folder or None, why not)``."""
    if reference is None:
        return None, NO_REFERENCE
    if "folder" in reference:
        folder = Path(reference["folder"])
        if not folder.is_dir():
            return folder, f"reference folder {folder} does not exist"
        return folder, None
    from benchmarks.exemplars import exemplar_status

    return exemplar_status(reference)


def reference_record(reference: dict[str, Any] | None) -> str:
    """What a set-level note says about the reference (description, and the set digest when known)."""
    text = f"reference: {describe_reference(reference)}"
    folder, why = locate_reference(reference)
    if folder is not None and why is None and reference is not None and "generated" in reference:
        from benchmarks.exemplars import read_manifest

        digest = (read_manifest(folder) or {}).get("digest")
        if digest:
            text += f", digest {digest[:16]}"
    return text


def score_against_reference(
    run_id: int, store, method: str, dataset: str, pred_dir: Path, metrics: list[str], reference, device: str,
    cache_dir: Path, seed: int = 0,
) -> None:  # fmt: skip
    """Store each set-level metric of ``pred_dir`` against the reference, or why it has no value.

    Args:
        method: the preset entry's id; ``seed``: the job's seed (both key the stored cells).
    """
    from benchmarks.metrics.unpaired import set_distances

    folder, why = locate_reference(reference)
    if why is not None:
        for m in metrics:
            store.put_set_level(run_id, method, dataset, m, None, status="not-available", note=why, seed=seed)
        return
    note = reference_record(reference)
    for m, res in set_distances(pred_dir, folder, metrics, device=device, cache_dir=cache_dir).items():
        if res.status != "ok":
            store.put_set_level(run_id, method, dataset, m, None, status=res.status, note=res.note, seed=seed)
            continue
        store.put_set_level(
            run_id,
            method,
            dataset,
            m,
            res.value,
            n=res.n_pred,
            note=f"{note} ({res.n_ref} images)",
            seed=seed,
        )
