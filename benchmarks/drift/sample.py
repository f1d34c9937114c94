"""The suite's own golden check: the `sample` preset against ``golden/sample.json``.

What is exact and what is not (the policy :func:`sample_policy` encodes):

- the synthesized LQ and the HQ crops are compared pixel for pixel. If they are identical,
  bicubic/lanczos outputs (Pillow's fixed-point resamplers) must be identical too, and their
  PSNR/SSIM (float64 BasicSR) equal to the ``exact`` tier;
- if the synthesizer's float pipeline rounds a few pixels differently on this CPU (allowed up to
  the ``cross-device`` thumbnail tolerance), everything downstream is judged at ``cross-device``;
- pasd-tiny (float32 UNet/VAE on whatever kernels torch picks) is always judged at
  ``cross-device``: its output bytes are exact only on the machine that recorded them;
- package versions are reported, not failed: this check asks whether the numbers moved.
"""

from __future__ import annotations

from pathlib import Path

from benchmarks.drift.compare import DriftReport, compare_snapshots
from benchmarks.drift.snapshot import load_snapshot, take_snapshot
from benchmarks.drift.tiers import TierPolicy, load_tiers

PRESET = "sample-golden"
NETWORK_METHODS = ("pasd-tiny",)


def run_sample_preset(out_dir: str | Path, device: str = "cpu", progress: bool = False) -> Path:
    """Run the ``sample-golden`` preset into ``out_dir`` (resumable); returns the results folder.

    Raises:
        RuntimeError: some image failed (the message lists them).
    """
    from benchmarks.runner.execute import run_preset
    from benchmarks.runner.preset import load_preset

    summary = run_preset(load_preset(PRESET), out_dir, device=device, progress=progress)
    if summary.failures:
        raise RuntimeError(f"sample preset: {len(summary.failures)} image(s) failed: {summary.failures[:3]}")
    return Path(out_dir)


def _inputs_identical(golden: dict, now: dict) -> bool:
    for dataset, roles in golden["inputs"].items():
        for role, g in roles.items():
            n = now["inputs"].get(dataset, {}).get(role, {}).get("images", {})
            if any(n.get(i, {}).get("pixels") != rec.get("pixels") for i, rec in g["images"].items()):
                return False
    return True


def sample_policy(golden: dict, now: dict) -> TierPolicy:
    """Exact where the inputs allow it, cross-device for pasd-tiny and for anything fed changed inputs."""
    table = load_tiers()
    methods = {m: "cross-device" for m in NETWORK_METHODS}
    if _inputs_identical(golden, now):
        return TierPolicy(table, method_tiers=methods)
    return TierPolicy(table, floor="cross-device", method_tiers=methods, input_tier="cross-device")


def check_sample(results_dir: str | Path, golden_path: str | Path | None = None) -> DriftReport:
    """Compare a ``sample-golden`` run with the checked-in golden file."""
    from benchmarks.drift import SAMPLE_GOLDEN

    golden = load_snapshot(golden_path or SAMPLE_GOLDEN)
    now = take_snapshot(results_dir)
    return compare_snapshots(golden, now, sample_policy(golden, now), allow_env_change=True)
