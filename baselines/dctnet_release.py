"""A random-weight DCT-Net release folder, in the layout ModelScope's ``ImageCartoonPipeline`` reads.

For tests on machines without the real snapshot (``damo/cv_unet_person-image-cartoon_compound-models``):
an output made from this folder means nothing. It needs TensorFlow (the ``[dctnet]`` extra); the
graphs are plain frozen ``GraphDef`` files, the format of the release, with exactly the tensor
names the pipeline and its face analyser feed and fetch (read from modelscope 1.40's
``pipelines/cv/image_cartoon_pipeline.py`` and ``models/cv/cartoon/facelib``):

==================  ==========================================================  =====================================
file                fed                                                         fetched
==================  ==========================================================  =====================================
``cartoon_bg.pb``   ``input_image:0`` float32 ``(H, W, 3)`` BGR 0..255           ``output_image:0`` uint8 ``(H, W, 3)``
``cartoon_h.pb``    the same (a 288 x 288 aligned face)                          the same
``detector.pb``     ``tower_0/images:0`` ``(1, 512, 512, 3)``, ``training_flag:0``  ``tower_0/boxes:0`` ``(1, K, 4)``
                                                                                ``[y1, x1, y2, x2]`` in 0..1,
                                                                                ``tower_0/scores:0`` ``(1, K)``,
                                                                                ``tower_0/num_detections:0`` int32
``keypoints.pb``    ``tower_0/images:0`` ``(1, 160, 160, 3)``, ``training_flag:0``  ``tower_0/prediction:0`` ``(1, 143)``:
                                                                                68 ``(x, y)`` in 0..1 of the crop,
                                                                                3 head-pose and 4 state logits
``alpha.jpg``       the head blending mask (read with ``cv2.imread``, resized to 288, grey / 255)
``configuration.json``  ``framework``/``task``/``pipeline.type``: without it ``pipeline(task, model=DIR)``
                    does not take DIR for a ModelScope model and hands it to ``transformers``
==================  ==========================================================  =====================================

The two cartoon graphs follow ModelScope's ``CartoonTranslationExporter`` around the network:
``x / 127.5 - 1``, the generator, ``[0]``, clip to +-0.999999, ``(y + 1) * 127.5``, cast to uint8
(a truncation, as in the release). The generator here is two small random 3x3 convolutions on a
residual path, so outputs follow the input and are not constant. The face analyser graphs are
deterministic instead of random: detection with random weights finds nothing reproducible, so
``detector.pb`` returns one fixed box (``faces="fixed"``, score 0.9 > the 0.8 threshold) or a box
scored 0.5 that the pipeline drops (``faces="none"``: only the background path runs), and
``keypoints.pb`` returns a fixed 68-point face template, moved by a small random function of the
crop so the landmarks still depend on the image.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np

Faces = Literal["fixed", "none"]

#: the artifact the folder stands in for (``$PASD_BENCH_HOME/weights/<ARTIFACT>/``)
ARTIFACT = "dct-net"
#: ModelScope's registered names (modelscope.utils.constant.Tasks / modelscope.metainfo.Pipelines)
CONFIGURATION = {
    "framework": "tensorflow",
    "task": "image-portrait-stylization",
    "pipeline": {"type": "unet-person-image-cartoon"},
}
#: the fixed face box of ``faces="fixed"``, ``[y1, x1, y2, x2]`` in 0..1 of the detector's 512 px
#: canvas (the image's long side is scaled to 512, top-left): the face in ``skimage.data.astronaut()``
FACE_BOX = (55 / 512, 170 / 512, 175 / 512, 280 / 512)
DETECT_THRESHOLD = 0.8  # modelscope...facelib.config DETECT.thres
N_KEYPOINTS = 68


def _tf():
    from baselines.dctnet_adapter import import_tensorflow_safely

    import_tensorflow_safely()
    import tensorflow as tf

    return tf.compat.v1


def _write_graph(graph, path: Path) -> None:
    path.write_bytes(graph.as_graph_def().SerializeToString())


def cartoon_graph(path: Path, seed: int, width: int = 8) -> None:
    """Write a random cartoon generator as a frozen graph with the release's input/output tensors.

    Args:
        path: the ``.pb`` file to write.
        seed: seeds the convolution weights (numpy ``default_rng``).
        width: hidden channels.
    """
    tf = _tf()
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((3, 3, 3, width)) / 27**0.5).astype(np.float32)
    b1 = (0.1 * rng.standard_normal(width)).astype(np.float32)
    w2 = (0.3 * rng.standard_normal((3, 3, width, 3)) / (9 * width) ** 0.5).astype(np.float32)
    b2 = (0.05 * rng.standard_normal(3)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        image = tf.placeholder(tf.float32, [None, None, 3], name="input_image")
        x = image[tf.newaxis] / 127.5 - 1.0
        h = tf.nn.leaky_relu(tf.nn.conv2d(x, tf.constant(w1), [1, 1, 1, 1], "SAME") + b1)
        y = x + tf.nn.conv2d(h, tf.constant(w2), [1, 1, 1, 1], "SAME") + b2
        y = tf.clip_by_value(y[0], -0.999999, 0.999999)
        tf.cast((y + 1.0) * 127.5, tf.uint8, name="output_image")
    _write_graph(graph, path)


def detector_graph(path: Path, faces: Faces = "fixed") -> None:
    """Write a face detector graph that returns :data:`FACE_BOX`, scored above or below the threshold.

    Args:
        path: the ``.pb`` file to write.
        faces: ``"fixed"`` (one face, at :data:`FACE_BOX`) or ``"none"`` (its score is below the threshold).

    Raises:
        ValueError: on another ``faces``.
    """
    if faces not in ("fixed", "none"):
        raise ValueError(f"faces must be 'fixed' or 'none', got {faces!r}")
    tf = _tf()
    score = 0.9 if faces == "fixed" else 0.5
    graph = tf.Graph()
    with graph.as_default():
        tf.placeholder(tf.bool, [], name="training_flag")
        with tf.name_scope("tower_0"):
            tf.placeholder(tf.float32, [None, None, None, 3], name="images")
            tf.constant(np.array([[FACE_BOX]], np.float32), name="boxes")
            tf.constant(np.array([[score]], np.float32), name="scores")
            tf.constant(np.array([1], np.int32), name="num_detections")
    _write_graph(graph, path)


def face_template() -> np.ndarray:
    """68 ``(x, y)`` landmarks (the iBUG 68-point order) in 0..1 of the keypoint crop, a frontal face."""
    t = np.linspace(0.0, 1.0, 17)
    jaw = np.stack([0.18 + 0.64 * t, 0.45 + 0.38 * np.sin(np.pi * t)], 1)  # 0-16
    brows = np.stack(
        [np.r_[np.linspace(0.24, 0.44, 5), np.linspace(0.56, 0.76, 5)], np.full(10, 0.33)], 1
    )  # 17-26
    bridge = np.stack([np.full(4, 0.5), np.linspace(0.40, 0.58, 4)], 1)  # 27-30
    nostrils = np.stack([np.linspace(0.43, 0.57, 5), np.full(5, 0.62)], 1)  # 31-35
    a = np.linspace(0.0, 2 * np.pi, 6, endpoint=False)
    eye = np.stack([0.06 * np.cos(a), 0.025 * np.sin(a)], 1)
    eyes = np.concatenate([eye + (0.36, 0.42), eye + (0.64, 0.42)])  # 36-47
    a = np.linspace(0.0, 2 * np.pi, 12, endpoint=False)
    outer = np.stack([0.5 - 0.12 * np.cos(a), 0.75 + 0.045 * np.sin(a)], 1)  # 48-59, 48 and 54 the corners
    a = np.linspace(0.0, 2 * np.pi, 8, endpoint=False)
    inner = np.stack([0.5 - 0.08 * np.cos(a), 0.75 + 0.02 * np.sin(a)], 1)  # 60-67
    pts = np.concatenate([jaw, brows, bridge, nostrils, eyes, outer, inner])
    if pts.shape != (N_KEYPOINTS, 2):  # pragma: no cover - a construction error, not user input
        raise RuntimeError(f"face template has shape {pts.shape}")
    return pts.astype(np.float32)


def keypoints_graph(path: Path, seed: int) -> None:
    """Write a landmark graph: :func:`face_template` plus a small random function of the crop's mean colour.

    Args:
        path: the ``.pb`` file to write.
        seed: seeds the random perturbation weights.
    """
    tf = _tf()
    rng = np.random.default_rng(seed)
    n_out = 2 * N_KEYPOINTS + 7  # + head pose (3) + states (4), as the pipeline slices them
    base = np.concatenate([face_template().reshape(-1), np.zeros(7, np.float32)])
    w = rng.standard_normal((3, n_out)).astype(np.float32)
    graph = tf.Graph()
    with graph.as_default():
        tf.placeholder(tf.bool, [], name="training_flag")
        with tf.name_scope("tower_0"):
            images = tf.placeholder(tf.float32, [None, None, None, 3], name="images")
            mean = tf.reduce_mean(images / 255.0, axis=[1, 2])  # (1, 3)
            tf.add(
                tf.constant(base[None]), 0.01 * tf.tanh(tf.matmul(mean, tf.constant(w))), name="prediction"
            )
    _write_graph(graph, path)


def alpha_mask(size: int = 288) -> np.ndarray:
    """The head blending mask: a soft ellipse, uint8 grey (the release's ``alpha.jpg`` is a soft face mask)."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float64) / (size - 1) * 2 - 1
    r = np.sqrt((xx / 0.8) ** 2 + (yy / 0.9) ** 2)
    return np.round(255 * np.clip((1.0 - r) / 0.3, 0.0, 1.0)).astype(np.uint8)


def write_release(home: str | Path, faces: Faces = "fixed", seed: int = 0) -> Path:
    """Write the random DCT-Net folder at ``<home>/weights/dct-net/`` (where ``pasd.hub`` looks).

    Args:
        home: the ``$PASD_BENCH_HOME`` folder.
        faces: what ``detector.pb`` finds (see :func:`detector_graph`).
        seed: seeds the cartoon and landmark graphs.

    Returns:
        The folder, to pass to ``modelscope.pipelines.pipeline(..., model=FOLDER)``.
    """
    from PIL import Image

    folder = Path(home) / "weights" / ARTIFACT
    folder.mkdir(parents=True, exist_ok=True)
    cartoon_graph(folder / "cartoon_bg.pb", seed)
    cartoon_graph(folder / "cartoon_h.pb", seed + 1)
    detector_graph(folder / "detector.pb", faces)
    keypoints_graph(folder / "keypoints.pb", seed + 2)
    Image.fromarray(alpha_mask()).save(folder / "alpha.jpg", quality=95)
    (folder / "configuration.json").write_text(json.dumps(CONFIGURATION, indent=2) + "\n")
    return folder
