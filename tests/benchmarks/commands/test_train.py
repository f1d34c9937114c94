"""``pasd-bench train`` end to end: the tiny config from a clean home, resume, infer with its checkpoint, exit codes."""

import pytest
from PIL import Image

from benchmarks.cli import main
from tests.threads import one_thread_fixture

_one_thread = one_thread_fixture()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty PASD_BENCH_HOME: the tiny base is built on first use, as from a clean clone."""
    monkeypatch.setenv("PASD_BENCH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def hq(tmp_path):
    from skimage.data import astronaut, coffee

    folder = tmp_path / "hq"
    folder.mkdir()
    Image.fromarray(astronaut()).resize((160, 160)).save(folder / "astronaut.png")
    Image.fromarray(coffee()).resize((200, 133)).save(folder / "coffee.jpg")
    return folder


def test_train_tiny_resume_and_infer_with_the_checkpoint(home, hq, tmp_path, capsys):
    run = tmp_path / "run"
    args = ["train", "tiny", "--data", str(hq), "--out", str(run), "--checkpoint-every", "2", "--no-progress"]
    assert main([*args, "--max-steps", "2"]) == 0
    assert f"trained steps 1-2 -> {run / 'checkpoint-2'}" in capsys.readouterr().out
    assert (home / "tiny" / "pasd-seed0" / "sd15" / "model_index.json").is_file()
    assert main([*args, "--max-steps", "3", "--resume", "latest"]) == 0
    assert "trained steps 3-3" in capsys.readouterr().out
    assert sorted(p.name for p in run.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-3"]
    lq_dir = tmp_path / "lq"
    lq_dir.mkdir()
    Image.open(hq / "coffee.jpg").resize((20, 16)).save(lq_dir / "cup.png")
    out = tmp_path / "out"
    sd = home / "tiny" / "pasd-seed0" / "sd15"
    assert main(["infer", str(lq_dir), "--out", str(out), "--base", str(sd), "--pasd", str(run / "checkpoint-3"),
                 "--steps", "1", "--process-size", "64", "--prompt-source", "none", "--dtype", "fp32",
                 "--upscale", "4"]) == 0  # fmt: skip
    assert Image.open(out / "cup.png").size == (80, 64)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--data", "{empty}"], "holds no images"),
        (["--data", "{missing}"], "does not exist"),
        (["--set", "dr=maybe"], "dr must be true or false"),
        (["--set", "learnig_rate=1"], "did you mean"),
        (["--set", "resolution=1024"], "no usable HQ image"),
        (["--resume", "{missing}"], "checkpoint .* not found"),
    ],
    ids=["empty-folder", "missing-folder", "bad-value", "unknown-key", "images-too-small", "bad-resume"],
)
def test_unusable_input_exits_2_with_a_message(home, hq, tmp_path, capsys, extra, message):
    empty = tmp_path / "empty"
    empty.mkdir()
    extra = [e.format(empty=empty, missing=tmp_path / "nope") for e in extra]
    data = [] if "--data" in extra else ["--data", str(hq)]
    assert main(["train", "tiny", *data, "--out", str(tmp_path / "run"), "--max-steps", "1", *extra]) == 2
    err = capsys.readouterr().err
    assert "Error:" in err and "Traceback" not in err
    import re

    assert re.search(message, err), err


def test_unknown_config_exits_2(home, hq, tmp_path, capsys):
    assert main(["train", "pasd-lite", "--data", str(hq), "--out", str(tmp_path / "r")]) == 2
    assert "pasd-light" in capsys.readouterr().err
