"""Kernels: built by basicsr's own functions from our sampled parameters."""

import math

import numpy as np
import pytest
from basicsr.data import degradations as bd

from pasd.degradation.kernels import build_kernel
from pasd.degradation.sampling import image_rng, sample_blur_kernel, sample_final_sinc

SPECS = [
    {"type": "iso", "size": 13, "sigma_x": 1.7, "sigma_y": 1.7, "theta": 0.0},
    {"type": "aniso", "size": 21, "sigma_x": 2.5, "sigma_y": 0.4, "theta": 0.7},
    {"type": "generalized_iso", "size": 9, "sigma_x": 1.1, "sigma_y": 1.1, "theta": 0.0, "beta": 0.6},
    {"type": "generalized_aniso", "size": 15, "sigma_x": 0.9, "sigma_y": 2.2, "theta": -2.0, "beta": 3.1},
    {"type": "plateau_iso", "size": 7, "sigma_x": 0.5, "sigma_y": 0.5, "theta": 0.0, "beta": 1.4},
    {"type": "plateau_aniso", "size": 19, "sigma_x": 2.9, "sigma_y": 1.3, "theta": 3.0, "beta": 1.9},
    {"type": "sinc", "size": 11, "omega_c": 2.0},
]


def _basicsr(spec):
    t, k = spec["type"], spec["size"]
    if t == "sinc":
        return bd.circular_lowpass_kernel(spec["omega_c"], k, pad_to=False)
    iso = not t.endswith("aniso")
    a = (k, spec["sigma_x"], spec["sigma_y"], spec["theta"])
    if t in ("iso", "aniso"):
        return bd.bivariate_Gaussian(*a, isotropic=iso)
    fn = bd.bivariate_generalized_Gaussian if t.startswith("generalized") else bd.bivariate_plateau
    return fn(*a, spec["beta"], isotropic=iso)


@pytest.mark.parametrize("spec", SPECS, ids=[s["type"] for s in SPECS])
def test_kernel_equals_basicsr_and_sums_to_one(spec):
    k = build_kernel(spec)
    np.testing.assert_array_equal(k, _basicsr(spec))
    assert k.shape == (spec["size"], spec["size"])
    assert math.isclose(k.sum(), 1.0, abs_tol=1e-9)
    padded = build_kernel(spec, pad_to=21)
    assert padded.shape == (21, 21) and math.isclose(padded.sum(), 1.0, abs_tol=1e-9)
    c = (21 - spec["size"]) // 2
    np.testing.assert_array_equal(padded[c : c + spec["size"], c : c + spec["size"]], k)


def test_iso_kernel_equals_basicsr_random_draw(monkeypatch):
    """basicsr's random_bivariate_Gaussian with its uniform draw pinned gives our kernel."""
    monkeypatch.setattr(bd.np.random, "uniform", lambda lo, hi: 1.25)
    ref = bd.random_bivariate_Gaussian(11, (0.2, 3), (0.2, 3), (-math.pi, math.pi), isotropic=True)
    ours = build_kernel({"type": "iso", "size": 11, "sigma_x": 1.25, "sigma_y": 1.25, "theta": 0.0})
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_final_sinc_pads_like_realesrgan():
    spec = {"type": "sinc", "size": 9, "omega_c": 1.5}
    np.testing.assert_array_equal(
        build_kernel(spec, pad_to=21), bd.circular_lowpass_kernel(1.5, 9, pad_to=21)
    )


def test_pulse_is_identity():
    k = build_kernel({"type": "pulse", "size": 1}, pad_to=21)
    assert k[10, 10] == 1 and k.sum() == 1


@pytest.mark.parametrize("seed", range(40))
def test_sampled_kernels_are_valid(config, seed):
    rng = image_rng(seed, "k")
    for spec in (
        sample_blur_kernel(rng, config.stage1, config.kernel_sizes),
        sample_blur_kernel(rng, config.stage2, config.kernel_sizes),
        sample_final_sinc(rng, 0.8, config.kernel_sizes),
    ):
        k = build_kernel(spec, pad_to=21)
        assert np.isfinite(k).all() and math.isclose(k.sum(), 1.0, abs_tol=1e-9)


def test_bad_specs():
    with pytest.raises(KeyError, match="unknown kernel type"):
        build_kernel({"type": "box", "size": 3, "sigma_x": 1, "sigma_y": 1, "theta": 0})
    with pytest.raises(ValueError, match="odd"):
        build_kernel({"type": "sinc", "size": 8, "omega_c": 1.0})
