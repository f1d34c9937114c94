import numpy as np
import pytest
from PIL import Image

from pasd.pipeline.batch import collect_inputs, run_batch


def test_collect_inputs_rejects_colliding_stems(tmp_path):
    for name in ("a.png", "a.jpg", "b.png"):
        Image.new("RGB", (4, 4)).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image suffix: ignored")
    with pytest.raises(ValueError, match="share the stem 'a'"):
        collect_inputs([tmp_path])
    assert collect_inputs([tmp_path / "b.png", tmp_path / "a.jpg"]) == [
        tmp_path / "b.png",
        tmp_path / "a.jpg",
    ]
    with pytest.raises(FileNotFoundError):
        collect_inputs([tmp_path / "missing.png"])


def test_run_batch_fresh_generator_per_image(tmp_path):
    import torch

    for name in ("x", "y"):
        Image.new("RGB", (4, 4), (10, 20, 30)).save(tmp_path / f"{name}.png")
    files = collect_inputs([tmp_path])

    def restore(rgb, generator):
        value = int(torch.randint(0, 255, (1,), generator=generator))
        return np.full_like(rgb, value)

    summary = run_batch(restore, files, tmp_path / "out", seed=5, progress=False)
    assert len(summary.written) == 2 and not summary.failed
    x, y = (np.asarray(Image.open(tmp_path / "out" / f"{n}.png")) for n in ("x", "y"))
    assert np.array_equal(x, y)  # same seed per image: independent of the order images run in
