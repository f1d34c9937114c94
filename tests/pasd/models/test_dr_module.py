"""The degradation-removal pyramid: scales, zero-initialised output, RRDB variant."""

from __future__ import annotations

import pytest
import torch

from pasd.models import DegradationRemovalModule


@pytest.mark.parametrize("use_rrdb", [False, True], ids=["plain", "rrdb"])
def test_rgbs_at_half_quarter_eighth(use_rrdb):
    dr = DegradationRemovalModule(conditioning_embedding_channels=32, use_rrdb=use_rrdb)
    emb, rgbs = dr(torch.rand(2, 3, 64, 48))
    assert [tuple(r.shape) for r in rgbs] == [(2, 3, 32, 24), (2, 3, 16, 12), (2, 3, 8, 6)]
    assert emb.shape == (2, 32, 8, 6)
    assert hasattr(dr, "preprocesser") == use_rrdb


def test_conv_out_is_zero_so_embedding_starts_at_zero():
    torch.manual_seed(0)
    dr = DegradationRemovalModule(conditioning_embedding_channels=32)
    assert torch.count_nonzero(dr.conv_out.weight) == 0 and torch.count_nonzero(dr.conv_out.bias) == 0
    emb, rgbs = dr(torch.rand(1, 3, 32, 32))
    assert torch.count_nonzero(emb) == 0
    # the toRGB heads are ordinary (non-zero) convolutions
    assert all(r.abs().sum() > 0 for r in rgbs)


def test_rgbs_come_from_the_stride2_outputs():
    """to_rgbs[i] reads the SiLU output of blocks[2i+1] (yangxy/PASD forward), checked by hand."""
    torch.manual_seed(0)
    dr = DegradationRemovalModule(conditioning_embedding_channels=8, block_out_channels=(4, 8, 16))
    x = torch.rand(1, 3, 16, 16)
    h = torch.nn.functional.silu(dr.conv_in(x))
    h = torch.nn.functional.silu(dr.blocks[1](torch.nn.functional.silu(dr.blocks[0](h))))
    expected_first = dr.to_rgbs[0](h)
    _, rgbs = dr(x)
    assert len(rgbs) == 2
    torch.testing.assert_close(rgbs[0], expected_first)


def test_without_rgbs_heads():
    dr = DegradationRemovalModule(conditioning_embedding_channels=8, return_rgbs=False)
    assert len(dr.to_rgbs) == 0
    assert dr(torch.rand(1, 3, 16, 16))[1] == ()


def test_too_few_levels_is_rejected():
    with pytest.raises(ValueError, match="at least 2"):
        DegradationRemovalModule(conditioning_embedding_channels=8, block_out_channels=(16,))
