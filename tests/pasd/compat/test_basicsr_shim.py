import importlib
import sys

import pasd  # noqa: F401


def test_basicsr_degradations_and_metrics_import():
    degradations = importlib.import_module("basicsr.data.degradations")
    metrics = importlib.import_module("basicsr.metrics")
    assert callable(degradations.random_mixed_kernels)
    assert callable(metrics.calculate_psnr)


def test_alias_is_torchvision_private_module():
    import torchvision.transforms._functional_tensor as current

    legacy = importlib.import_module("torchvision.transforms.functional_tensor")
    assert legacy is current
    assert legacy.rgb_to_grayscale is current.rgb_to_grayscale


def test_shim_only_answers_its_own_name():
    from pasd.compat.basicsr_shim import _FunctionalTensorFinder

    finder = next(f for f in sys.meta_path if isinstance(f, _FunctionalTensorFinder))
    assert finder.find_spec("torchvision.transforms.functional_pil") is None
    assert finder.find_spec("not_a_module_at_all") is None


def test_install_is_idempotent():
    from pasd.compat.basicsr_shim import _FunctionalTensorFinder, install

    install()
    install()
    assert sum(isinstance(f, _FunctionalTensorFinder) for f in sys.meta_path) == 1


def test_basicsr_rgb_to_grayscale_matches_torchvision():
    import torch
    from torchvision.transforms.functional import rgb_to_grayscale

    degradations = importlib.import_module("basicsr.data.degradations")
    img = torch.rand(1, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    # basicsr's gray-noise path uses the aliased function
    assert torch.equal(degradations.rgb_to_grayscale(img), rgb_to_grayscale(img))
