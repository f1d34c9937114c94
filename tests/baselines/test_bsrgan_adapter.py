"""BSRGAN against KAIR's ``main_test_bsrgan.py`` procedure on basicsr's RRDBNet, same random release."""

import pytest
import torch

from baselines import create_method
from tests.baselines import official
from tests.baselines.helpers import assert_matches


def test_release_layout_is_kairs_old_esrgan_keys(release):
    sd = torch.load(release("bsrgan"))
    assert "conv_first.weight" in sd and "RRDB_trunk.1.RDB3.conv5.bias" in sd
    assert {
        "trunk_conv.weight",
        "upconv1.weight",
        "upconv2.weight",
        "HRconv.weight",
        "conv_last.weight",
    } <= set(sd)
    assert not any(k.startswith(("body.", "conv_body", "params")) for k in sd)  # bare dict, old names


def test_equals_main_test_bsrgan(release, lq):
    path = release("bsrgan")
    m = create_method("bsrgan")
    ours = m(lq)
    assert ours.std() > 10 and m.loaded_key == "raw"
    assert_matches(ours, official.kair_bsrgan(path)(lq))


def test_a_wrapped_file_is_refused_as_the_script_would(release, lq, isolated_caches):
    # KAIR loads the file itself strictly: a {"params_ema": ...} file is not a BSRGAN release
    src = release("realesrgan")
    dest = isolated_caches / "pasd-home" / "weights" / "bsrgan" / "checkpoints" / "BSRGAN.pth"
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(src.read_bytes())
    with pytest.raises(ValueError, match="rule 'raw' needs .*params_ema"):
        create_method("bsrgan")(lq)
