"""LDL loads ``params`` as its test config says, not spandrel's preferred ``params_ema``."""

import torch

from baselines import create_method
from tests.baselines import official
from tests.baselines.helpers import assert_matches, max_diff


def test_release_holds_two_different_generators(release):
    ckpt = torch.load(release("ldl"))
    assert set(ckpt) == {"params", "params_ema"}
    a, b = ckpt["params"]["conv_first.weight"], ckpt["params_ema"]["conv_first.weight"]
    assert a.shape == b.shape and not torch.equal(a, b)


def test_equals_the_basicsr_test_pipeline_with_param_key_params(release, lq):
    path = release("ldl")
    m = create_method("ldl")
    ours = m(lq)
    assert m.options["param_key"] == "params>raw" and m.loaded_key == "params"
    assert ours.std() > 10
    assert_matches(ours, official.ldl_basicsr(path, key="params")(lq))
    # the choice matters: the EMA generator is another network
    assert max_diff(ours, official.ldl_basicsr(path, key="params_ema")(lq)) > 10


def test_spandrel_alone_would_load_the_other_key(release, lq):
    """spandrel's ``load_from_file`` prefers ``params_ema``; that is why the adapter reads the file itself."""
    from spandrel import ModelLoader

    path = release("ldl")
    model = ModelLoader("cpu").load_from_file(path).model.eval()
    x = torch.from_numpy(lq).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        spandrel_default = model(x).clamp(0, 1).mul(255).round().byte()[0].permute(1, 2, 0).numpy()
    assert_matches(spandrel_default, official.ldl_basicsr(path, key="params_ema")(lq))
    assert max_diff(spandrel_default, create_method("ldl")(lq)) > 10
    override = create_method("ldl", param_key="params_ema")(lq)
    assert_matches(override, spandrel_default)
