"""``extends``: a preset starts from another; its own keys replace the parent's whole."""

from __future__ import annotations

import pytest

from benchmarks.runner.preset import load_preset, preset_sha256

PARENT = (
    'name = "base"\ndescription = "the parent"\nseeds = [0, 1]\nmetrics = ["psnr", "ssim"]\n'
    '[[datasets]]\nname = "folder"\nroot = "{data}/toy"\n'
    '[[methods]]\nname = "bicubic"\n[[methods]]\nname = "lanczos"\n'
)


def test_a_child_inherits_every_key_it_does_not_set_and_replaces_those_it_does(tmp_path):
    (tmp_path / "base.toml").write_text(PARENT)
    (tmp_path / "child.toml").write_text('extends = "base.toml"\nname = "child"\nmetrics = ["lpips"]\n')
    child, parent = load_preset(tmp_path / "child.toml", data_root="/d"), load_preset(tmp_path / "base.toml")
    assert child.name == "child" and child.metrics == ("lpips",)  # replaced, not appended
    assert child.seeds == (0, 1) and child.description == "the parent"
    assert [m.name for m in child.methods] == ["bicubic", "lanczos"] and child.datasets[0].root == "/d/toy"
    assert child.parents == (str(tmp_path / "base.toml"),) and parent.parents == ()
    assert child.as_dict()["extends"] == [str(tmp_path / "base.toml")]
    # methods replaced whole: the child's list, not the parent's plus the child's
    (tmp_path / "one.toml").write_text(
        'extends = "child.toml"\nname = "one"\n[[methods]]\nname = "lanczos"\n'
    )
    one = load_preset(tmp_path / "one.toml")
    assert [m.name for m in one.methods] == ["lanczos"] and one.metrics == ("lpips",)
    assert one.parents == (str(tmp_path / "child.toml"), str(tmp_path / "base.toml"))


def test_the_recorded_sha_covers_the_parent_file(tmp_path):
    (tmp_path / "base.toml").write_text(PARENT)
    (tmp_path / "child.toml").write_text('extends = "base.toml"\nname = "child"\n')
    before = preset_sha256(load_preset(tmp_path / "child.toml"))
    (tmp_path / "base.toml").write_text(PARENT.replace("seeds = [0, 1]", "seeds = [0]"))
    after = preset_sha256(load_preset(tmp_path / "child.toml"))
    assert before and after and before != after
    import hashlib

    lone = load_preset(tmp_path / "base.toml")  # no parent: the file's own sha256, as before extends
    assert preset_sha256(lone) == hashlib.sha256((tmp_path / "base.toml").read_bytes()).hexdigest()


@pytest.mark.parametrize(
    ("child", "message"),
    [
        ('extends = "child.toml"\nname = "child"\n', "extends itself"),
        ('extends = "nowhere.toml"\nname = "child"\n', "no preset 'nowhere.toml'"),
        ('extends = "base.toml"\nmetrics = ["psnr"]\n', "needs its own name"),
        ("extends = 3\nname = 'child'\n", "extends must be a preset name or path"),
        ('extends = "base.toml"\nname = "child"\nmetric = ["psnr"]\n', "did you mean 'metrics'"),
    ],
)
def test_bad_extends_is_a_clear_error(tmp_path, child, message):
    (tmp_path / "base.toml").write_text(PARENT)
    (tmp_path / "child.toml").write_text(child)
    with pytest.raises((ValueError, FileNotFoundError), match=message):
        load_preset(tmp_path / "child.toml")


def test_table1_plus_is_table1_with_more_metrics():
    t1, plus = load_preset("table1"), load_preset("table1-plus")
    assert plus.parents == (t1.source,) and plus.protocol == t1.protocol and plus.seeds == t1.seeds
    assert plus.metrics[: len(t1.metrics)] == t1.metrics
