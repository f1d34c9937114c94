"""Training across real processes: kill -9 in the middle of a save, then resume; 2 gloo processes == 1.

Both start fresh interpreters (``python -m benchmarks.cli`` / ``torchrun``), as users do.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np

from benchmarks.cli import main
from pasd.training.checkpoint import is_complete, latest_checkpoint
from tests.pasd.training.helpers import max_abs_diff, read_log, state_of
from tests.toy_artifacts import closed_port

REPO = Path(__file__).resolve().parents[3]

#: run the CLI, but SIGKILL the process half-way through writing checkpoint-4's models
_KILL_IN_SAVE = """
import os, signal, sys
import pasd.tiny
real = pasd.tiny.save_released_layout
def save(unet, controlnet, out_dir):
    if str(out_dir).endswith(".checkpoint-4.partial"):
        unet.save_pretrained(os.path.join(str(out_dir), "unet"))
        os.kill(os.getpid(), signal.SIGKILL)
    return real(unet, controlnet, out_dir)
pasd.tiny.save_released_layout = save
from benchmarks.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _env(tiny_home: Path) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), PASD_BENCH_HOME=str(tiny_home), HF_HUB_OFFLINE="1",
               OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")  # fmt: skip
    env.pop("WORLD_SIZE", None), env.pop("RANK", None), env.pop("LOCAL_RANK", None)
    return env


def _train_args(tiny_sd: Path, hq_dir: Path, out: Path, *extra: str) -> list[str]:
    return ["train", "tiny", "--data", str(hq_dir), "--out", str(out), "--set", f"base={tiny_sd}", "--cpu",
            "--no-progress", *extra]  # fmt: skip


def test_kill_9_during_a_save_then_resume(reference_run, tiny_home, tiny_sd, hq_dir, tmp_path):
    run = tmp_path / "run"
    args = _train_args(tiny_sd, hq_dir, run, "--max-steps", "6", "--checkpoint-every", "2")
    proc = subprocess.run([sys.executable, "-c", _KILL_IN_SAVE, *args], env=_env(tiny_home), cwd=REPO,
                          capture_output=True, text=True, timeout=600)  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    # the killed save left a partial folder that nothing takes for a checkpoint
    assert latest_checkpoint(run).name == "checkpoint-2" and not (run / "checkpoint-4").exists()
    assert (run / ".checkpoint-4.partial" / "unet").is_dir() and not is_complete(
        run / ".checkpoint-4.partial"
    )
    assert max(read_log(run)) == 4  # it had logged steps 3 and 4 before dying
    assert main([*args, "--resume", "latest"]) == 0
    assert not list(run.glob(".checkpoint-*")) and latest_checkpoint(run).name == "checkpoint-6"
    log, ref = read_log(run), read_log(reference_run[0])
    assert sorted(log) == list(range(1, 7))  # one row per step: the dead run's rows after step 2 were dropped
    assert [log[s]["loss"] for s in log] == [ref[s]["loss"] for s in log]


def test_two_gloo_processes_train_like_one(reference_run, tiny_home, tiny_sd, hq_dir, tmp_path):
    """torchrun, 2 CPU processes x batch 1 == 1 process x batch 2 (the reference run), to float rounding."""
    run = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
           "--master_port", str(closed_port()), "-m", "benchmarks.cli",
           *_train_args(tiny_sd, hq_dir, run, "--max-steps", "10", "--checkpoint-every", "10", "--batch-size", "1")]  # fmt: skip
    proc = subprocess.run(cmd, env=_env(tiny_home), cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count("trained steps 1-10") == 1  # only the main process reports
    log, ref = read_log(run), read_log(reference_run[0])
    assert sorted(log) == list(range(1, 11))
    np.testing.assert_allclose([log[s]["loss"] for s in log], [ref[s]["loss"] for s in log], rtol=1e-5)
    # all-reduce order changes the last bits of a gradient and Adam's normalisation can amplify them
    # for near-zero gradients: the bound is a tenth of one step's largest change (lr = 1e-3)
    for sub in ("unet", "controlnet"):
        diff = max_abs_diff(
            state_of(run / "checkpoint-10" / sub), state_of(reference_run[0] / "checkpoint-10" / sub)
        )
        assert diff < 1e-4, sub
    assert (
        run / "checkpoint-10" / "random_states_1.pkl"
    ).is_file()  # each rank's RNG state, as accelerate saves
