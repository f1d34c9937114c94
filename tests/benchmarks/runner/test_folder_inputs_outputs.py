"""A preset on your own folders: ``folder`` dataset x (``bicubic``, ``folder`` method), through the runner.

The folder method imports outputs that ``pasd-bench apply bicubic`` made, so its scores must equal
bicubic's own, image by image: an independent check of the stem matching and the import.
"""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.cli import main
from benchmarks.results import ResultsStore
from benchmarks.runner.execute import run_preset
from benchmarks.runner.plan import build_plan
from benchmarks.runner.preset import load_preset

IDS = ("a", "b", "c", "d")


@pytest.fixture
def data(tmp_path) -> Path:
    import skimage.data

    photo = skimage.data.astronaut()
    root = tmp_path / "mine"
    (root / "lq").mkdir(parents=True)
    (root / "hq").mkdir()
    for k, i in enumerate(IDS):
        hq = photo[50 * k : 50 * k + 48, 70 * k : 70 * k + 48]
        Image.fromarray(hq).save(root / "hq" / f"{i}.png")
        Image.fromarray(hq).resize((12, 12), Image.BOX).save(root / "lq" / f"{i}.png")
    return root


def _preset(path: Path, data: Path, released: Path, dataset_params: str = "") -> Path:
    path.write_text(
        f'name = "mine"\nmetrics = ["psnr", "ssim"]\n'
        f'[[datasets]]\nname = "folder"\nroot = "{data}"\nparams = {{ lq = "lq", hq = "hq"{dataset_params} }}\n'
        f'[[methods]]\nname = "bicubic"\n'
        f'[[methods]]\nname = "folder"\nparams = {{ path = "{released}", label = "bicubic, imported" }}\n'
    )
    return path


#: the folder entry's id in the results store (method name + its label)
FOLDER_ID = "folder[bicubic, imported]"


def _per_image(out: Path) -> dict:
    with ResultsStore(out) as store:
        df = store.per_image()
    return {(r.method, r.image, r.metric): r.value for r in df.itertuples()}


def test_folder_method_scores_equal_the_method_that_made_the_files(data, tmp_path):
    made = tmp_path / "made"
    assert main(["apply", "bicubic", str(data / "lq"), "--out", str(made), "--no-progress"]) == 0
    released = next(made.glob("bicubic-*"))
    preset = load_preset(_preset(tmp_path / "p.toml", data, released))
    plan = build_plan(preset, tmp_path / "out")
    assert [(j.label, j.state, j.n_items) for j in plan.jobs] == [("bicubic", "ready", 4),
                                                                  ("bicubic, imported", "ready", 4)]  # fmt: skip
    summary = run_preset(preset, tmp_path / "out", progress=False)
    assert summary.made == 8 and not summary.failures
    scores = _per_image(tmp_path / "out")
    for i in IDS:
        for metric in ("psnr", "ssim"):
            # results are keyed by the entry id: the folder entry's label names it
            assert scores[(FOLDER_ID, i, metric)] == pytest.approx(scores[("bicubic", i, metric)], abs=1e-12)


def test_bad_inputs_fail_alone_and_keep_what_was_computed(data, tmp_path):
    released = tmp_path / "released"
    released.mkdir()
    for i in IDS:  # a nearly perfect "method" (a perfect one has infinite PSNR)
        hq = np.asarray(Image.open(data / "hq" / f"{i}.png"))
        Image.fromarray((hq ^ 1).astype(np.uint8)).save(released / f"{i}.png")
    out = tmp_path / "out"
    preset = load_preset(_preset(tmp_path / "p.toml", data, released))
    assert not run_preset(preset, out, progress=False).failures
    kept = {p: p.read_bytes() for p in (out / "outputs").rglob("*.png")}

    # wrong size of one imported output, one output missing, one unreadable LQ, one HQ of the wrong size
    Image.new("RGB", (40, 48)).save(released / "b.png")
    (released / "c.png").unlink()
    (data / "lq" / "d.png").write_bytes(b"not a png")
    Image.open(data / "hq" / "a.png").resize((44, 48)).save(data / "hq" / "a.png")
    summary = run_preset(load_preset(_preset(tmp_path / "p.toml", data, released)), out, progress=False)
    errors = {(m, i): e for m, _, i, e in summary.failures}
    assert "HQ a.png is 44x48, expected 48x48" in errors[("bicubic", "a")]
    assert "unreadable or corrupt image" in errors[("bicubic", "d")]
    assert "b.png is 40x48, expected 48x48" in errors[(FOLDER_ID, "b")]
    assert "no output for 'c'" in errors[(FOLDER_ID, "c")]
    assert {p: p.read_bytes() for p in kept} == kept  # earlier outputs are untouched
    with ResultsStore(out) as store:
        fails = store.failures()
        runs = store.runs()
    assert len(fails[fails.run_id == runs.run_id.max()]) == len(summary.failures) == 6  # a,d for both + b,c


def test_missing_partner_stops_the_plan_with_a_message(data, tmp_path, capsys):
    (data / "hq" / "b.png").unlink()
    path = _preset(tmp_path / "p.toml", data, data / "hq")
    plan = build_plan(load_preset(path), tmp_path / "out")
    assert {j.state for j in plan.jobs} == {"data-missing"}
    assert "LQ" in plan.jobs[0].reason and "b.png has no HQ partner" in plan.jobs[0].reason
    skip = build_plan(load_preset(_preset(tmp_path / "q.toml", data, data / "hq", ', unpaired = "skip"')),
                      tmp_path / "out")  # fmt: skip
    assert [j.n_items for j in skip.jobs] == [3, 3]
    # the plan is printed, and refused (exit 2): a dataset with an unpaired file is unusable as given
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--plan-only"]) == 2
    assert "has no HQ partner" in capsys.readouterr().out


def test_lq_only_folder_scores_no_reference_metrics_only(data, tmp_path):
    preset_path = tmp_path / "p.toml"
    preset_path.write_text(
        f'name = "nr"\nmetrics = ["psnr"]\n[[datasets]]\nname = "folder"\nparams = {{ lq = "{data / "lq"}" }}\n'
        '[[methods]]\nname = "bicubic"\n'
    )
    summary = run_preset(load_preset(preset_path), tmp_path / "out", progress=False)
    assert summary.made == 4
    with ResultsStore(tmp_path / "out") as store:
        cells = store.set_level()
    assert cells.status.tolist() == ["not-available"] and "no ground truth" in cells.note.item()
    assert np.isnan(cells.value.item()) or cells.value.item() is None
