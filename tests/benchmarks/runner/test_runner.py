import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from benchmarks.results import ResultsStore
from benchmarks.runner.execute import run_preset
from benchmarks.runner.plan import build_plan
from benchmarks.runner.preset import apply_only, load_preset
from tests.benchmarks.metrics.conftest import metric_weights, weights_home  # noqa: F401 (fixtures)
from tests.benchmarks.runner import toy

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def toy_env(tmp_path):
    toy.register()
    data = toy.make_toy_data(tmp_path / "data")
    return tmp_path, data


def _scores(out_dir: Path) -> dict:
    with ResultsStore(out_dir) as store:
        df = store.set_level()
    ok = df[df.status == "ok"]
    return {(r.method, r.dataset, r.metric): round(r.value, 10) for r in ok.itertuples()}


def _outputs(out_dir: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out_dir)): p.read_bytes() for p in sorted((out_dir / "outputs").rglob("*.png"))}


def test_run_scores_against_reference_psnr(toy_env):
    tmp, data = toy_env
    preset = load_preset(toy.write_preset(tmp / "p.toml", data, [("bicubic", {})]))
    summary = run_preset(preset, tmp / "out", progress=False)
    assert summary.made == 5 and not summary.failures
    # recompute bicubic PSNR for one image independently with basicsr's function
    from basicsr.metrics import calculate_psnr

    import pasd  # noqa: F401

    with ResultsStore(tmp / "out") as store:
        per = store.per_image(method="bicubic")
    lq = np.asarray(Image.open(data / "lq" / "a_LR.png"))
    hq = np.asarray(Image.open(data / "hq" / "a_HR.png"))
    up = np.asarray(Image.fromarray(lq).resize((48, 48), Image.BICUBIC))
    ref = calculate_psnr(up[..., ::-1], hq[..., ::-1], crop_border=4, test_y_channel=True)
    ours = per[(per.image == "a") & (per.metric == "psnr")].value.item()
    assert ours == pytest.approx(ref, abs=1e-6)


def test_rerun_recomputes_nothing_and_gives_same_numbers(toy_env):
    tmp, data = toy_env
    preset = load_preset(toy.write_preset(tmp / "p.toml", data, [("slow-noisy", {}), ("bicubic", {})]))
    first = run_preset(preset, tmp / "out", progress=False)
    before = _outputs(tmp / "out")
    second = run_preset(preset, tmp / "out", progress=False)
    assert (first.made, second.made, second.reused) == (10, 0, 10)
    assert _outputs(tmp / "out") == before
    with ResultsStore(tmp / "out") as store:
        runs = store.runs()
        a = store.set_level(int(runs.run_id.min()))
        b = store.set_level(int(runs.run_id.max()))
    assert a.value.tolist() == b.value.tolist()


def test_cache_key_changes_with_params_not_with_device(toy_env):
    import baselines

    toy.register()
    m1 = baselines.create_method("slow-noisy", delay=0.0)
    m2 = baselines.create_method("slow-noisy", delay=0.1)
    m3 = baselines.create_method("slow-noisy", device="cuda", delay=0.0)
    assert m1.cache_key() != m2.cache_key()
    assert m1.cache_key() == m3.cache_key()


def test_changed_input_pixels_invalidate_the_cached_output(toy_env):
    tmp, data = toy_env
    preset = load_preset(toy.write_preset(tmp / "p.toml", data, [("bicubic", {})]))
    run_preset(preset, tmp / "out", progress=False)
    lq = np.asarray(Image.open(data / "lq" / "b_LR.png")).copy()
    lq[0, 0] = 255 - lq[0, 0]
    Image.fromarray(lq).save(data / "lq" / "b_LR.png")
    again = run_preset(preset, tmp / "out", progress=False)
    assert (again.made, again.reused) == (1, 4)


def test_failing_image_is_recorded_and_the_run_goes_on(toy_env):
    tmp, data = toy_env
    fail_mean = float(np.asarray(Image.open(data / "lq" / "c_LR.png")).mean())
    preset = load_preset(
        toy.write_preset(tmp / "p.toml", data, [("flaky", {"fail_mean": fail_mean}), ("bicubic", {})])
    )
    summary = run_preset(preset, tmp / "out", progress=False)
    assert [(m, i) for m, _, i, _ in summary.failures] == [("flaky", "c")]
    with ResultsStore(tmp / "out") as store:
        failures = store.failures()
        sl = store.set_level()
    assert failures.image.tolist() == ["c"] and "boom" in failures.error.item()
    flaky_psnr = sl[(sl.method == "flaky") & (sl.metric == "psnr")]
    assert flaky_psnr.status.item() == "ok" and flaky_psnr.n.item() == 4
    assert sl[(sl.method == "bicubic") & (sl.metric == "psnr")].n.item() == 5


def test_plan_reports_unavailable_methods_and_missing_data(toy_env, tmp_path):
    tmp, data = toy_env
    path = toy.write_preset(tmp / "p.toml", data, [("bicubic", {}), ("no-such-method", {})])
    plan = build_plan(load_preset(path), tmp / "out")
    states = {j.method.name: j.state for j in plan.jobs}
    assert states == {"bicubic": "ready", "no-such-method": "not-available"}
    path.write_text(path.read_text().replace(str(data), str(tmp / "nowhere")))
    plan = build_plan(load_preset(path), tmp / "out")
    assert {j.state for j in plan.jobs} == {"data-missing", "not-available"}
    assert "not found" in next(j for j in plan.jobs if j.method.name == "bicubic").reason


def test_only_filter_and_its_errors(toy_env):
    tmp, data = toy_env
    preset = load_preset(toy.write_preset(tmp / "p.toml", data, [("bicubic", {}), ("lanczos", {})]))
    assert [m.name for m in apply_only(preset, ["method=lanczos"]).methods] == ["lanczos"]
    with pytest.raises(ValueError, match="matches nothing"):
        apply_only(preset, ["method=nope"])
    with pytest.raises(ValueError, match="expected KEY=VAL"):
        apply_only(preset, ["colour=red"])


def test_shipped_presets_parse_and_table1_lists_the_paper_methods():
    from benchmarks.runner.preset import list_presets

    assert {"smoke", "table1", "table2", "table3"} <= set(list_presets())
    t1 = load_preset("table1")
    assert [m.name for m in t1.methods][-1] == "pasd" and len(t1.methods) == 9
    assert {d.name for d in t1.datasets} == {"div2k-val", "realsr", "drealsr"}
    assert set(t1.metrics) == {"psnr", "ssim", "fid", "clipfid", "lpips", "dists", "musiq"}


SCRIPT = """
import sys
from tests.benchmarks.runner import toy
from benchmarks.runner.execute import run_preset
from benchmarks.runner.preset import load_preset
toy.register()
run_preset(load_preset(sys.argv[1]), sys.argv[2], progress=False)
"""


def _script(tmp: Path) -> Path:
    p = tmp / "run_toy.py"
    p.write_text(textwrap.dedent(SCRIPT))
    return p


def test_resume_after_sigkill_equals_an_uninterrupted_run(toy_env):
    tmp, data = toy_env
    preset = toy.write_preset(tmp / "p.toml", data, [("slow-noisy", {"delay": 0.4})])
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(_script(tmp)), str(preset), str(tmp / "killed")], env=env)
    out_dir = tmp / "killed" / "outputs"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out_dir.rglob("*.input"))) < 2:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    made_before = len(list(out_dir.rglob("*.png")))
    assert 2 <= made_before < 5, "the kill should land mid-run"
    assert not list((tmp / "killed").rglob("*.tmp")), "no partial files after SIGKILL"
    with ResultsStore(tmp / "killed") as store:  # the killed run is marked, its cells are not silently absent
        assert store.runs().status.tolist() == ["interrupted"]
        assert set(store.set_level().status) == {"pending"}

    resumed = run_preset(load_preset(preset), tmp / "killed", progress=False)
    assert resumed.made == 5 - made_before and resumed.reused == made_before
    run_preset(load_preset(preset), tmp / "clean", progress=False)
    assert _outputs(tmp / "killed") == _outputs(tmp / "clean")
    assert _scores(tmp / "killed") == _scores(tmp / "clean")
    with ResultsStore(tmp / "killed") as store:  # the resumed run's numbers replace the pending cells
        assert store.runs().status.tolist() == ["interrupted", "complete"]
        assert set(store.set_level().status) == {"ok"}


def test_two_process_sharding_equals_one_process(toy_env):
    tmp, data = toy_env
    preset = toy.write_preset(tmp / "p.toml", data, [("slow-noisy", {}), ("bicubic", {})])
    env = {**os.environ, "PYTHONPATH": str(REPO), "PASD_BENCH_BACKEND": "gloo", "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           str(_script(tmp)), str(preset), str(tmp / "two")]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    run_preset(load_preset(preset), tmp / "one", progress=False)
    assert _outputs(tmp / "two") == _outputs(tmp / "one")
    assert _scores(tmp / "two") == _scores(tmp / "one")
    with ResultsStore(tmp / "two") as store:
        assert len(store.runs()) == 1  # only rank 0 records the run
        per = store.per_image(method="bicubic", dataset="toy")
    assert sorted(per[per.metric == "psnr"].image) == list(toy.IDS)  # each image once, none padded


@pytest.mark.usefixtures("metric_weights")
def test_jobs_on_one_dataset_are_scored_in_one_engine_pass(toy_env):
    """One score_many call per dataset and seed; every method's numbers equal evaluate on its view alone."""
    from unittest import mock

    from benchmarks.metrics import engine
    from benchmarks.metrics.engine import EngineOptions, evaluate

    tmp, data = toy_env
    fail_mean = float(np.asarray(Image.open(data / "lq" / "c_LR.png")).mean())
    methods = [("bicubic", {}), ("slow-noisy", {}), ("flaky", {"fail_mean": fail_mean})]
    preset = load_preset(toy.write_preset(tmp / "p.toml", data, methods, metrics=("psnr", "lpips", "fid")))
    calls = []
    real = engine.score_many

    def spy(preds, *args, **kwargs):
        calls.append(sorted(preds))
        return real(preds, *args, **kwargs)

    with mock.patch.object(engine, "score_many", spy):
        summary = run_preset(preset, tmp / "out", progress=False)
    assert [m for m, _, i, _ in summary.failures] == ["flaky"]  # flaky fails on image c
    assert len(calls) == 1 and len(calls[0]) == 3
    scores = _scores(tmp / "out")
    opts = EngineOptions(cache_dir=str(tmp / "out" / "feature-cache"))
    for view in sorted((tmp / "out" / "views").iterdir()):
        method = next(m for m, _ in methods if view.name.startswith(m + "-"))
        alone = evaluate(
            view / "toy" / "seed0" / "pred", view / "toy" / "seed0" / "gt", ["psnr", "lpips", "fid"], opts
        )
        for metric in ("psnr", "lpips", "fid"):
            assert scores[(method, "toy", metric)] == round(alone.value(metric), 10), (method, metric)
    with ResultsStore(tmp / "out") as store:
        per = store.per_image(method="flaky")
    assert sorted(set(per.image)) == ["a", "b", "d", "e"]


def test_table1_plus_preset_has_the_modern_metrics_and_table1s_jobs():
    from benchmarks.metrics.configs import TABLE1_PLUS_METRICS, get_spec

    t1, plus = load_preset("table1"), load_preset("table1-plus")
    assert plus.methods == t1.methods and plus.datasets == t1.datasets
    assert set(plus.metrics) == set(TABLE1_PLUS_METRICS)
    assert {"niqe", "maniqa-pipal", "clipiqa", "topiq_nr", "topiq_fr", "liqe", "kid", "pfid"} <= set(
        plus.metrics
    )
    assert all(get_spec(m).weights for m in plus.metrics if m not in ("psnr", "ssim"))


@pytest.mark.usefixtures("metric_weights")
def test_a_failed_joint_pass_is_retried_job_by_job_with_the_same_numbers(toy_env):
    """If score_many raises, each job is scored alone: same numbers, no failed cells, run complete."""
    from unittest import mock

    from benchmarks.metrics import engine

    tmp, data = toy_env
    methods = [("bicubic", {}), ("slow-noisy", {})]
    preset = load_preset(toy.write_preset(tmp / "p.toml", data, methods, metrics=("psnr", "lpips")))
    run_preset(preset, tmp / "joint", progress=False)

    calls = []
    real = engine.score_many

    def broken(preds, *args, **kwargs):
        if len(preds) == 1:  # evaluate() is score_many's one-method case: that one works
            return real(preds, *args, **kwargs)
        calls.append(1)
        raise RuntimeError("joint pass broke")

    with mock.patch.object(engine, "score_many", broken):
        summary = run_preset(preset, tmp / "alone", progress=False)
    assert summary.score_failures == [] and calls == [1]
    assert _scores(tmp / "alone") == _scores(tmp / "joint") and len(_scores(tmp / "joint")) == 4
    with ResultsStore(tmp / "alone") as store:
        assert store.run(store.latest_run_id())["status"] == "complete"
