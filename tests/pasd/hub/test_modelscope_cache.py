"""A ModelScope-hosted artifact (DCT-Net) is found wherever `snapshot_download` left it.

The layouts are modelscope-hub's (``modelscope_hub._download.DownloadManager``: the legacy
``_find_legacy_repo_dir`` probes and the ``{owner}--{name}/snapshots/{revision}`` cache) and
the pre-``models/`` layout of SDK 1.x (``{hub dir}/{owner}/{name}``, what DCT-Net's README
shows). When modelscope is installed, tests/baselines/test_dctnet_modelscope.py also asks the
library itself.
"""

from __future__ import annotations

import pytest

from pasd import hub
from pasd.hub.registry import get_artifact

REPO = "damo/cv_unet_person-image-cartoon_compound-models"


def _release(root):
    for f in get_artifact("dct-net").files:
        (root / f.path).parent.mkdir(parents=True, exist_ok=True)
        (root / f.path).write_bytes(b"x")
    return root


@pytest.mark.parametrize(
    "where",
    [
        "models/damo--cv_unet_person-image-cartoon_compound-models/snapshots/master",
        "models/damo--cv_unet_person-image-cartoon_compound-models/snapshots/0123abc",  # the only one
        "models/damo/cv_unet_person-image-cartoon_compound-models",  # SDK <= 1.37, MODELSCOPE_CACHE set
        "damo/cv_unet_person-image-cartoon_compound-models",  # SDK 1.x, MODELSCOPE_CACHE = the hub dir
    ],
)
def test_found_in_each_layout_under_modelscope_cache(isolated_caches, where):
    root = _release(isolated_caches / "modelscope" / where)
    assert hub.resolve("dct-net") == root


def test_default_cache_without_the_variable(isolated_caches, monkeypatch):
    monkeypatch.delenv("MODELSCOPE_CACHE")
    monkeypatch.setenv("HOME", str(isolated_caches / "home"))
    base = isolated_caches / "home" / ".cache" / "modelscope"
    legacy = _release(base / "hub" / "models" / "damo" / "cv_unet_person-image-cartoon_compound-models")
    assert hub.resolve("dct-net") == legacy
    old = _release(base / "hub" / "damo" / "cv_unet_person-image-cartoon_compound-models")
    assert hub.resolve("dct-net") == legacy  # modelscope-hub's order: the models/ layout first
    import shutil

    shutil.rmtree(legacy)
    assert hub.resolve("dct-net") == old


def test_two_snapshots_without_master_are_not_guessed_and_the_message_says_how_to_get_it(isolated_caches):
    snaps = isolated_caches / "modelscope" / "models" / f"{REPO.replace('/', '--')}" / "snapshots"
    _release(snaps / "aaa")
    _release(snaps / "bbb")
    with pytest.raises(hub.MissingWeightsError) as info:
        hub.resolve("dct-net")
    msg = str(info.value)
    assert "ModelScope cache (several revisions)" in msg
    assert "pasd-bench weights fetch dct-net" not in msg  # not fetchable: the hint is the manual route
    assert "get it with: by hand" in msg and "snapshot_download" in msg
    assert hub.resolve("dct-net", path=snaps / "bbb") == snaps / "bbb"  # an explicit folder picks one
