"""The metric engine: PSNR/SSIM (Y), LPIPS, DISTS, MUSIQ, FID, CLIP-FID and extras in one pass.

Entry points: :func:`create_metric` (one metric by preset name), :func:`evaluate` (a folder
pair, every metric, one decode per image), :func:`score_many` (several methods' folders against
one GT, the GT side computed once) and :func:`write_outputs` (CSV + JSON).
Importing this package registers every ``*_metric.py`` class; it does not load any weights.
"""

from benchmarks.metrics import (  # noqa: F401
    dists_metric,
    fid_metric,
    kid_metric,
    lpips_metric,
    patch_fid_metric,
    psnr_ssim_metric,
    pyiqa_metric,
)
from benchmarks.metrics.base import FeatureExtractor, PerImageMetric, SetMetric
from benchmarks.metrics.bootstrap import MeanCI, bootstrap_mean_ci
from benchmarks.metrics.configs import (
    DEFAULT_CONFIGS,
    TABLE1_METRICS,
    TABLE1_PLUS_METRICS,
    MetricSpec,
    get_spec,
)
from benchmarks.metrics.engine import EngineOptions, evaluate, score_many
from benchmarks.metrics.frechet import frechet_distance_from_features
from benchmarks.metrics.pairing import ImagePair, load_mapping, pair_images
from benchmarks.metrics.registry import METRICS, create_metric, list_metrics
from benchmarks.metrics.results import EvaluationResult, UnreadableImagesError, write_outputs
from pasd.utils.image_io import UnreadableImageError, read_image

__all__ = [
    "DEFAULT_CONFIGS",
    "METRICS",
    "TABLE1_METRICS",
    "TABLE1_PLUS_METRICS",
    "EngineOptions",
    "EvaluationResult",
    "FeatureExtractor",
    "ImagePair",
    "MeanCI",
    "MetricSpec",
    "PerImageMetric",
    "SetMetric",
    "UnreadableImageError",
    "UnreadableImagesError",
    "bootstrap_mean_ci",
    "create_metric",
    "evaluate",
    "frechet_distance_from_features",
    "get_spec",
    "list_metrics",
    "load_mapping",
    "pair_images",
    "read_image",
    "score_many",
    "write_outputs",
]
