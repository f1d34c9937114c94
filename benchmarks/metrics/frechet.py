"""Fréchet distance between two feature sets (FID, CLIP-FID).

``d^2 = ||mu_a - mu_b||^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a S_b)^(1/2))``.

Two exact routes to the last term:

- ``"sqrtm"``: clean-fid's ``frechet_distance`` (scipy ``sqrtm`` of the D x D product, with its
  guards for a singular product and a tiny imaginary part). O(D^3): ~45 s for D = 2048 on 2 CPU
  cores, on every call.
- ``"lowrank"``: with centred features ``A`` (n_a x D) and ``B`` (n_b x D),
  ``S_a S_b = A^T A B^T B / c`` has the same non-zero eigenvalues as ``M M^T`` for
  ``M = A B^T`` (n_a x n_b), so ``Tr((S_a S_b)^(1/2)) = sum(svd(M)) / sqrt(c)`` with
  ``c = (n_a - 1)(n_b - 1)``. Exact, and O(n^2 D): milliseconds for a 100-image test set.
  It avoids ``sqrtm`` of a rank-deficient matrix (n < D), where that route is least accurate;
  the two agree to ~1e-7 relative on such sets (tested).

``"auto"`` (default) takes ``lowrank`` when ``min(n_a, n_b) < D`` and clean-fid's route otherwise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Method = Literal["auto", "sqrtm", "lowrank"]


def feature_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and (unbiased, rows = samples) covariance, as clean-fid computes them.

    Raises:
        ValueError: fewer than two samples (a covariance needs two) or non-finite features.
    """
    feats = _check(features)
    return feats.mean(axis=0), np.cov(feats, rowvar=False)


def _check(features: np.ndarray) -> np.ndarray:
    feats = np.asarray(features, dtype=np.float64)
    if feats.ndim != 2 or feats.shape[0] < 2:
        raise ValueError(f"need a (N >= 2, D) feature matrix, got shape {feats.shape}")
    if not np.isfinite(feats).all():
        raise ValueError("features contain NaN or inf")
    return feats


def resolve_method(n_a: int, n_b: int, dim: int, method: Method = "auto") -> str:
    if method not in ("auto", "sqrtm", "lowrank"):
        raise ValueError(f"method {method!r} not in ('auto', 'sqrtm', 'lowrank')")
    if method != "auto":
        return method
    return "lowrank" if min(n_a, n_b) < dim else "sqrtm"


def frechet_distance_from_features(a: np.ndarray, b: np.ndarray, method: Method = "auto") -> float:
    """Fréchet distance of two feature sets (rows are samples).

    Raises:
        ValueError: shapes differ, too few samples, or the result is not finite.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> a = rng.normal(size=(50, 4))
        >>> round(frechet_distance_from_features(a, a + 1.0), 6)
        4.0
    """
    from cleanfid.fid import frechet_distance

    a, b = _check(a), _check(b)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature dimensions differ: {a.shape} vs {b.shape}")
    route = resolve_method(a.shape[0], b.shape[0], a.shape[1], method)
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    if route == "sqrtm":
        value = float(frechet_distance(mu_a, np.cov(a, rowvar=False), mu_b, np.cov(b, rowvar=False)))
    else:
        ca, cb = a - mu_a, b - mu_b
        na, nb = a.shape[0] - 1, b.shape[0] - 1
        tr_sqrt = np.linalg.svd(ca @ cb.T, compute_uv=False).sum() / np.sqrt(na * nb)
        diff = mu_a - mu_b
        value = float(diff @ diff + (ca * ca).sum() / na + (cb * cb).sum() / nb - 2.0 * tr_sqrt)
    if not np.isfinite(value):
        raise ValueError(f"Fréchet distance is not finite ({value})")
    return value
