"""L_DR against hand computations of the bilinear pyramid."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from pasd.models import dr_loss


def _bilinear_down(img: np.ndarray, factor: int) -> np.ndarray:
    """Exact-factor bilinear downscale (align_corners=False, no antialias), by hand.

    Output pixel k samples input coordinate factor*k + (factor-1)/2: the mean of the two middle
    input pixels of each factor-sized cell (of the single middle one for odd factors).
    """
    mid = [factor // 2 - 1, factor // 2] if factor % 2 == 0 else [factor // 2]
    b, c, h, w = img.shape
    cells = img.reshape(b, c, h // factor, factor, w // factor, factor)
    return cells[:, :, :, mid][:, :, :, :, :, mid].mean(axis=(3, 5))


def test_matches_hand_computation():
    rng = np.random.default_rng(0)
    gt = rng.uniform(-1, 1, size=(2, 3, 32, 32)).astype(np.float32)
    rgbs = [rng.normal(size=(2, 3, 32 // f, 32 // f)).astype(np.float32) for f in (2, 4, 8)]
    expected = sum(np.abs(r - _bilinear_down(gt, f)).mean() for r, f in zip(rgbs, (2, 4, 8)))
    got = dr_loss([torch.from_numpy(r) for r in rgbs], torch.from_numpy(gt))
    assert got.dtype == torch.float32 and got.ndim == 0
    assert abs(got.item() - expected) < 1e-5


def test_docstring_example_value():
    assert dr_loss([torch.ones(1, 3, 4, 4), torch.ones(1, 3, 2, 2)], torch.zeros(1, 3, 8, 8)).item() == 2.0


def test_perfect_estimates_give_zero_and_gradients_flow():
    gt = torch.rand(1, 3, 16, 16) * 2 - 1
    rgbs = [
        torch.nn.functional.interpolate(gt, size=(s, s), mode="bilinear").requires_grad_() for s in (8, 4, 2)
    ]
    loss = dr_loss(rgbs, gt)
    assert loss.item() == pytest.approx(0.0, abs=1e-7)
    (dr_loss([r + 1 for r in rgbs], gt)).backward()
    assert all(r.grad is not None for r in rgbs)


def test_bad_inputs():
    with pytest.raises(ValueError, match="at least one"):
        dr_loss([], torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match=r"rgbs\[0\]"):
        dr_loss([torch.zeros(2, 3, 4, 4)], torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="target"):
        dr_loss([torch.zeros(1, 3, 4, 4)], torch.zeros(3, 8, 8))
