"""CUDA paths (`nox -s tests_gpu`): a GPU run checked against a CPU golden file at the cross-device tier.

Skipped, with the reason, where no CUDA device is visible. What is compared: the runner with
``device="cuda"`` (pasd-tiny's PASD pipeline on the GPU, metrics on the GPU), the FID feature
pipelines on the GPU vs the CPU, and a drift check of the GPU results against a golden file
recorded on the CPU.
"""

from __future__ import annotations

import numpy as np
import torch

from benchmarks.cli import main
from tests.benchmarks.drift.sample_runs import bench_home, run_sample
from tests.gpu import REQUIRES_CUDA, _free_gpu  # noqa: F401 (_free_gpu: autouse fixture)

pytestmark = REQUIRES_CUDA


def test_gpu_run_passes_a_cpu_golden_at_the_cross_device_tier(sample_home, tmp_path, capsys):
    methods = ("bicubic", "pasd-tiny")
    cpu = run_sample(tmp_path / "cpu", sample_home, methods=methods)
    golden = tmp_path / "golden.json"
    assert main(["drift", "record", "--results", str(cpu), "--out", str(golden)]) == 0
    from benchmarks.runner.execute import run_preset
    from benchmarks.runner.preset import load_preset
    from tests.benchmarks.drift.sample_runs import write_preset

    with bench_home(sample_home):
        preset = load_preset(write_preset(tmp_path / "gpu.toml", sample_home, methods=methods))
        summary = run_preset(preset, tmp_path / "gpu" / "results", device="cuda", progress=False)
    assert not summary.failures
    capsys.readouterr()
    code = main(["drift", "check", "--results", str(tmp_path / "gpu" / "results"), "--golden", str(golden),
                 "--tier", "cross-device", "--allow-env-change"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "device: cpu -> cuda" in out


def test_pyiqa_psnr_ssim_on_cuda_tensors_equal_cpu(device):
    from benchmarks.metrics import create_metric

    rng = np.random.default_rng(1)
    a = torch.from_numpy(rng.integers(0, 256, (2, 3, 48, 48)).astype(np.float32) / 255)
    b = torch.from_numpy(rng.integers(0, 256, (2, 3, 48, 48)).astype(np.float32) / 255)
    for name, kw in (("psnr", {}), ("ssim", {"round_y": True})):
        m_cpu = create_metric(name, implementation="pyiqa", crop_border=0, **kw)
        m_gpu = create_metric(name, device="cuda", implementation="pyiqa", crop_border=0, **kw)
        m_cpu.update(a, b)
        m_gpu.update(a.cuda(), b.cuda())
        np.testing.assert_allclose(m_gpu.compute(), m_cpu.compute(), rtol=1e-5)
