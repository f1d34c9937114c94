"""DCT-Net through the real ModelScope pipeline and TensorFlow, on a random release folder.

Needs the ``[dctnet]`` extra (``nox -s tests_dctnet``); skipped where tensorflow or modelscope is
not importable (the default suite). The reference is DCT-Net's ``run_sdk.py`` run independently of
the adapter: ``pipeline("image-portrait-stylization", model=DIR)``, ``result = pipe(path)``,
``cv2.imwrite(out.png, result["output_img"])``, the PNG read back as RGB.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from baselines.base import create_method

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("tensorflow") is None or importlib.util.find_spec("modelscope") is None,
    reason="needs the [dctnet] extra (tensorflow, modelscope): nox -s tests_dctnet",
)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    """512 x 512 with a face where ``dctnet_release.FACE_BOX`` puts the fixed detection."""
    import skimage.data

    return skimage.data.astronaut()


@pytest.fixture(scope="module")
def chelsea() -> np.ndarray:
    """300 x 451 (neither side a multiple of 16): the background graph's padding is exercised."""
    import skimage.data

    return skimage.data.chelsea()


def _release(isolated_caches, faces: str) -> Path:
    from baselines.dctnet_release import write_release

    return write_release(isolated_caches / "pasd-home", faces=faces)


def _run_sdk(model_dir: Path, image: np.ndarray, work: Path) -> np.ndarray:
    """DCT-Net's run_sdk.py on ``image`` (saved as PNG), its cv2.imwrite output read back as RGB."""
    from baselines.dctnet_adapter import import_tensorflow_safely

    import_tensorflow_safely()  # the import order the adapter also keeps (triton before TensorFlow)
    import cv2
    from modelscope.outputs import OutputKeys
    from modelscope.pipelines import pipeline

    work.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image).save(work / "input.png")
    pipe = pipeline("image-portrait-stylization", model=str(model_dir))
    result = pipe(str(work / "input.png"))
    cv2.imwrite(str(work / "result.png"), result[OutputKeys.OUTPUT_IMG])
    return np.asarray(Image.open(work / "result.png").convert("RGB"))


@pytest.mark.parametrize(
    ("faces", "photo"), [("fixed", "astronaut"), ("none", "chelsea"), ("none", "astronaut")]
)
def test_dctnet_equals_run_sdk(isolated_caches, request, faces, photo):
    image = request.getfixturevalue(photo)
    folder = _release(isolated_caches, faces)
    ref = _run_sdk(folder, image, isolated_caches / "sdk")
    out = create_method("dct-net")(image)
    assert out.dtype == np.uint8 and out.shape == image.shape
    assert np.array_equal(out, ref)
    assert (
        2.0 < np.abs(out.astype(int) - image).mean() < 40.0
    )  # the random graphs move pixels, not to a flat image


def test_dctnet_face_path_changes_only_the_head(isolated_caches, monkeypatch, astronaut):
    """With the fixed detection the head graph is blended in around the face; elsewhere it is the background graph."""
    from baselines.dctnet_release import write_release

    _release(isolated_caches, "fixed")
    head = create_method("dct-net")(astronaut)
    bg_home = isolated_caches / "bg"

    write_release(bg_home, faces="none")
    monkeypatch.setenv("PASD_BENCH_HOME", str(bg_home))
    background = create_method("dct-net")(astronaut)
    changed = np.any(np.abs(head.astype(int) - background) > 1, axis=2)
    ys, xs = np.nonzero(changed)
    assert changed.sum() > 5000  # the head graph's output covers the face
    # the 288 px aligned crop, warped back, lies around the face box (y 55-175, x 170-280)
    assert ys.min() > 0 and ys.max() < 260 and xs.min() > 100 and xs.max() < 350


def test_dctnet_no_face_large_image_keeps_the_pipelines_720_size(isolated_caches, chelsea):
    """No face and short side > 720: ModelScope returns the 720 px background result, not resized back."""
    big = np.asarray(Image.fromarray(chelsea).resize((902, 800), Image.BICUBIC))  # 800 x 902
    folder = _release(isolated_caches, "none")
    out = create_method("dct-net")(big)
    assert out.shape == (720, 811, 3)  # resize_size: (720, int(720 * 902 / 800))
    assert np.array_equal(out, _run_sdk(folder, big, isolated_caches / "sdk"))


def test_dctnet_golden_slices(isolated_caches, astronaut):
    """Pinned numbers (random release seed 0): a changed constant in the adapter or the builder fails here."""
    _release(isolated_caches, "fixed")
    out = create_method("dct-net")(astronaut)
    face = out[110:113, 220:223].astype(int)  # inside the blended head
    corner = out[500:503, 5:8].astype(int)  # background graph only
    # +-1: TensorFlow's CPU kernels may sum in another order on another CPU before the uint8 cast
    assert np.abs(face - GOLDEN_FACE).max() <= 1, face.tolist()
    assert np.abs(corner - GOLDEN_CORNER).max() <= 1, corner.tolist()


GOLDEN_FACE = np.array(
    [
        [[233, 191, 172], [238, 195, 175], [239, 199, 183]],
        [[233, 191, 171], [238, 195, 180], [235, 195, 176]],
        [[231, 190, 170], [237, 197, 180], [236, 194, 174]],
    ]
)
GOLDEN_CORNER = np.array(
    [
        [[216, 193, 191], [215, 192, 188], [212, 188, 188]],
        [[209, 190, 184], [209, 191, 180], [210, 184, 182]],
        [[209, 191, 180], [208, 189, 182], [204, 179, 179]],
    ]
)


def test_dctnet_missing_weights_name_the_files(isolated_caches, astronaut):
    from pasd.hub import MissingWeightsError

    m = create_method("dct-net")
    assert m.missing_weights() == ["dct-net"]
    with pytest.raises(
        MissingWeightsError, match=r"weights 'dct-net': .*6 files \('cartoon_h.pb', \.\.\.\) not found"
    ) as err:
        m(astronaut)
    msg = str(err.value)
    assert str(isolated_caches / "pasd-home" / "weights" / "dct-net") in msg
    assert "snapshot_download('damo/cv_unet_person-image-cartoon_compound-models')" in msg


def test_dctnet_folder_without_configuration_json_is_named(isolated_caches, astronaut):
    """A copied snapshot missing configuration.json would be handed to transformers by ModelScope: we say which file."""
    from pasd.hub import MissingWeightsError

    folder = _release(isolated_caches, "fixed")
    (folder / "configuration.json").unlink()
    with pytest.raises(MissingWeightsError, match="configuration.json"):
        create_method("dct-net")(astronaut)


@pytest.mark.parametrize("layouts", [("new",), ("legacy",), ("new", "legacy")])
def test_pasd_hub_finds_the_folder_modelscopes_own_offline_lookup_returns(isolated_caches, layouts):
    """``snapshot_download(repo, local_files_only=True)`` is the library's own answer; pasd.hub must agree."""
    from modelscope.hub.snapshot_download import snapshot_download

    from pasd import hub
    from pasd.hub.registry import get_artifact

    artifact = get_artifact("dct-net")
    owner, name = artifact.repo_id.split("/")
    base = isolated_caches / "modelscope"
    roots = {
        "new": base / "models" / f"{owner}--{name}" / "snapshots" / "master",
        "legacy": base / "models" / owner / name,
    }
    for layout in layouts:
        for f in artifact.files:
            (roots[layout] / f.path).parent.mkdir(parents=True, exist_ok=True)
            (roots[layout] / f.path).write_bytes(b"x")
    # cache_dir given: modelscope-hub reads MODELSCOPE_CACHE once per process, into its config
    library = Path(snapshot_download(artifact.repo_id, cache_dir=str(base), local_files_only=True))
    assert hub.resolve("dct-net") == library


def test_loading_dctnet_leaves_cuda_visible_devices_as_it_was(isolated_caches, monkeypatch):
    """ModelScope's facelib/config.py sets CUDA_VISIBLE_DEVICES = "0" on import; the adapter undoes it."""
    import importlib
    import os
    import sys

    _release(isolated_caches, faces="none")
    facelib = "modelscope.models.cv.cartoon.facelib.config"
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    sys.modules.pop(facelib, None)
    importlib.import_module(facelib)  # the precondition: the official module does overwrite it
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "0"
    for before in ("2,3", None):
        if before is None:
            monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
        else:
            monkeypatch.setenv("CUDA_VISIBLE_DEVICES", before)
        sys.modules.pop(facelib, None)  # imported again inside pipeline(), as on a first load
        create_method("dct-net").load()
        assert os.environ.get("CUDA_VISIBLE_DEVICES") == before
