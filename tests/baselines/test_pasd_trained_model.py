"""PASD methods on a folder from ``pasd-bench train`` (param ``pasd_model``): Table 3 (a) becomes runnable."""

import numpy as np
import pytest
from PIL import Image

from baselines.base import MethodNotAvailableError, create_method
from tests.threads import one_thread


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Two tiny 2-step runs on one photo: with and without the DR supervision (dr=false)."""
    from skimage.data import astronaut

    from pasd.pipeline.build import ensure_tiny_models
    from pasd.training import load_train_config
    from pasd.training.trainer import train

    root = tmp_path_factory.mktemp("trained")
    sd, _ = ensure_tiny_models(root / "tiny")
    hq = root / "hq"
    hq.mkdir()
    Image.fromarray(astronaut()).resize((128, 128)).save(hq / "a.png")
    runs = {}
    with one_thread():
        for name, dr in (("abl-a", False), ("full", True)):
            cfg = load_train_config("tiny", {"base": str(sd), "data": [str(hq)], "dr": dr, "batch_size": 1,
                                             "max_steps": 2, "checkpoint_every": 2})  # fmt: skip
            runs[name] = train(cfg, root / name, cpu=True, progress=False).out_dir
    return sd, runs


def test_abl_a_needs_a_folder_trained_without_dr(trained, tmp_path):
    _, runs = trained
    with pytest.raises(MethodNotAvailableError, match="pasd-bench train pasd-abl-a"):
        create_method("pasd-abl-a")
    with pytest.raises(MethodNotAvailableError, match="trained with the degradation-removal module"):
        create_method("pasd-abl-a", pasd_model=str(runs["full"]))
    with pytest.raises(MethodNotAvailableError, match="neither unet/"):
        create_method("pasd-abl-a", pasd_model=str(tmp_path))
    m = create_method("pasd-abl-a", pasd_model=str(runs["abl-a"]))
    # a run folder is pinned to its newest checkpoint; (a) drops high-level info and both prompts
    assert m.options["pasd_model"] == str((runs["abl-a"] / "checkpoint-2").resolve())
    assert (m.options["prompt_source"], m.options["added_prompt"], m.options["negative_prompt"]) == (
        "none",
        "",
        "",
    )
    assert m.weights == ("sd15",)


def test_abl_a_and_pasd_run_a_trained_folder(trained, monkeypatch, isolated_caches):
    import pasd.hub

    sd, runs = trained
    assert create_method("pasd-abl-a", pasd_model=str(runs["abl-a"])).missing_weights() == ["sd15"]
    real = pasd.hub.resolve
    monkeypatch.setattr(
        pasd.hub, "resolve", lambda name, path=None: sd if name == "sd15" else real(name, path)
    )
    lq = np.asarray(Image.new("RGB", (16, 12), (120, 80, 40)))
    for name, run in (("pasd-abl-a", runs["abl-a"]), ("pasd", runs["full"])):
        m = create_method(
            name, pasd_model=str(run), steps=1, process_size=64, dtype="fp32", prompt_source="none"
        )
        out = m(lq, seed=0)
        assert out.shape == (48, 64, 3) and out.dtype == np.uint8


def test_a_retrained_folder_never_reuses_the_old_key(trained, tmp_path):
    """Same folder, same step, same sizes and mtimes (a retrain copied with rsync -a): new weights, new key."""
    import os
    import shutil

    _, runs = trained
    folder = tmp_path / "checkpoint-2"
    shutil.copytree(runs["full"] / "checkpoint-2", folder)  # copy2: mtimes kept
    m = create_method("pasd", pasd_model=str(folder))
    assert "pasd" not in m.weights  # the trained folder is used, not the release
    key = m.cache_key()
    assert m.cache_identity()["pasd_model"]["training_state"]["step"] == 2
    weights = next(folder.rglob("*.safetensors"))
    st = weights.stat()
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0x01  # one bit of the last tensor: same size
    weights.write_bytes(bytes(data))
    os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert weights.stat().st_mtime_ns == st.st_mtime_ns and weights.stat().st_size == st.st_size
    assert create_method("pasd", pasd_model=str(folder)).cache_key() != key
