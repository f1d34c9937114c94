"""CUDA paths of the metric engine (`nox -s tests_gpu`); skipped, with the reason, without CUDA."""

from __future__ import annotations

import numpy as np
import pytest

from tests.gpu import REQUIRES_CUDA, _free_gpu  # noqa: F401 (_free_gpu: autouse fixture)

pytestmark = REQUIRES_CUDA


@pytest.mark.parametrize("implementation, mode", [("clean-fid", "clean"), ("clean-fid", "legacy_tensorflow")])
def test_fid_features_on_cuda_equal_cpu(metric_weights, implementation, mode):
    from benchmarks.metrics.fid_variants import build_fid_extractor

    rng = np.random.default_rng(0)
    images = [rng.integers(0, 256, (64, 80, 3), dtype=np.uint8) for _ in range(4)]
    cpu = build_fid_extractor("inception", implementation, mode, "cpu")(images)
    gpu = build_fid_extractor("inception", implementation, mode, "cuda")(images)
    np.testing.assert_allclose(gpu, cpu, rtol=1e-3, atol=1e-4)
