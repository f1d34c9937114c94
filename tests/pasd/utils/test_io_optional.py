import json

import pytest

from pasd.utils.io import atomic_open, atomic_write_json
from pasd.utils.optional import MissingDependencyError, require


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    target = tmp_path / "out.json"
    atomic_write_json(target, {"a": 1})
    with pytest.raises(RuntimeError):
        with atomic_open(target, "w") as fh:
            fh.write('{"a": 2, "half')
            raise RuntimeError("killed mid-write")
    assert json.loads(target.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]  # no temp file left behind


def test_require_names_the_extra():
    with pytest.raises(MissingDependencyError, match=r"pip install 'pasd-bench\[yolo\]'"):
        require("surely_not_installed_pkg_xyz", "yolo", package="ultralytics")
    assert require("json", "none").dumps([1]) == "[1]"


def test_atomic_write_uses_normal_file_permissions(tmp_path):
    import os

    target = tmp_path / "perm.json"
    atomic_write_json(target, {})
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
