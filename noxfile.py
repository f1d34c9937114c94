"""Automation for pasd-bench: ``nox`` runs ``lint`` and ``tests`` (what CI runs)."""

from __future__ import annotations

import os

import nox

nox.options.sessions = ["lint", "tests"]
# Reusing a venv skips reinstalling torch (GBs); `pip install -e` below still picks up new
# dependencies from pyproject.toml, so reuse is safe. CI starts from a clean clone anyway.
nox.options.reuse_venv = "yes"
nox.options.default_venv_backend = "virtualenv"  # pip: the machine's torch wheels come from local disk

LOCATIONS = {
    "src": ["pasd", "baselines", "benchmarks", "tests", "noxfile.py"],
    "demo": "reports/smoke",
    "drift": "runs/sample-golden",  # results of the suite's own drift check (git-ignored)
}
PYTEST_DEFAULTS = ["-q", "-p", "no:cacheprovider", "--durations=15"]
#: the oldest versions the code is tested with (`nox -s tests_floor`); pyproject.toml declares
#: exactly these as its lower bounds (tests/test_packaging.py checks that they agree). Why each:
#: diffusers 0.40: offline `load_lora_weights(folder)` without weight_name (LCM-LoRA) and
#:   `_gradient_checkpointing_func` (0.33+); diffusers < 0.35.2 does not import with transformers 5.
#: transformers 5.0: the tiny random-weight models build tokenizers from in-memory vocabularies.
#: huggingface_hub 1.23: what diffusers 0.40 requires. peft 0.18: the first that imports with
#:   transformers 5 (0.17 imports the removed HybridCache); diffusers 0.40 needs >= 0.17.
FLOOR_PINS = {
    "diffusers": "0.40.0",
    "transformers": "5.0.0",
    "huggingface_hub": "1.23.0",
    "peft": "0.18.0",
    "tokenizers": "0.22.0",
}
#: the tests that exercise the floor-pinned libraries (models, pipeline, adapters, tiny models, infer)
FLOOR_TESTS = [
    "tests/pasd/models", "tests/pasd/pipeline", "tests/pasd/test_tiny.py", "tests/baselines",
    "tests/benchmarks/commands/test_infer.py", "tests/benchmarks/commands/test_tiny.py",
]  # fmt: skip


def _install(session: nox.Session, extras: str = "test") -> None:
    session.install("-e", f".[{extras}]")


@nox.session
def tests(session: nox.Session) -> None:
    """Fast CPU suite: everything except `slow` and `gpu` (browser tests need Debian's chromium)."""
    _install(session)
    # LC_ALL keeps subprocess output UTF-8 for the CLI tests that parse it
    env = {"LC_ALL": "C.UTF-8", "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "0"}
    session.run("pytest", *(session.posargs or PYTEST_DEFAULTS), env=env)


@nox.session
def tests_floor(session: nox.Session) -> None:
    """The model tests against the oldest supported diffusers/transformers/huggingface_hub/peft (FLOOR_PINS).

    Catches code that needs a newer library than pyproject.toml declares (a too-low floor). Run in CI
    next to `tests`; extra arguments go to pytest.
    """
    _install(session)
    # --no-deps: keep the machine's torch; the pins are mutually compatible (checked by this session)
    session.install("--no-deps", *(f"{name}=={version}" for name, version in FLOOR_PINS.items()))
    env = {"LC_ALL": "C.UTF-8", "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "0"}
    # golden slices of tiny random models are deselected: their weights come from the installed
    # transformers' initialisation (5.0 and 5.24 differ for the same seed), not from our code
    floor = [*PYTEST_DEFAULTS, "-m", "not slow and not gpu and not library_init", *FLOOR_TESTS]
    session.run("pytest", *(session.posargs or floor), env=env)


@nox.session
def demo(session: nox.Session) -> None:
    """The main job: the `smoke` preset end to end on CPU -> reports/smoke/ (tables, figures, HTML report).

    Builds the sample dataset from scikit-image photos, runs the methods (pasd-tiny with tiny random
    weights, labelled as such), scores every metric whose weights are present and marks the rest
    'weights missing'. Extra arguments go to `pasd-bench run` (e.g. `-- --device cuda`).
    """
    _install(session, "test")
    out = LOCATIONS["demo"]
    session.run("pasd-bench", "run", "smoke", "--out", f"{out}/results", "--no-progress", *session.posargs)
    for table in ("1",):
        for fmt in ("md", "csv"):
            session.run("pasd-bench", "tables", "--results", f"{out}/results", "--table", table,
                        "--format", fmt, "--confidence-intervals", "--out", f"{out}/table{table}.{fmt}")  # fmt: skip
    session.run("pasd-bench", "report", "--results", f"{out}/results", "--out", out)
    session.log(f"open {out}/index.html")


@nox.session
def lint(session: nox.Session) -> None:
    """ruff check + ruff format --check."""
    session.install("ruff>=0.5")
    session.run("ruff", "check", *LOCATIONS["src"])
    session.run("ruff", "format", "--check", *LOCATIONS["src"])


@nox.session
def tests_dctnet(session: nox.Session) -> None:
    """DCT-Net through the real ModelScope pipeline and TensorFlow on a random release (the `[dctnet]` extra).

    Not in CI (TensorFlow is ~1.5 GB); the default suite skips these tests. Extra arguments go to pytest.
    """
    _install(session, "test,dctnet")
    env = {"LC_ALL": "C.UTF-8", "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "0", "TF_CPP_MIN_LOG_LEVEL": "2"}
    tests = ["tests/baselines/test_dctnet_modelscope.py", "tests/baselines/test_gan_stylizers.py"]
    session.run("pytest", *(session.posargs or [*PYTEST_DEFAULTS, *tests]), env=env)


@nox.session
def tests_slow(session: nox.Session) -> None:
    """Tests marked `slow`: real weights (fetched with `pasd-bench weights fetch`) or full-size data."""
    _install(session)
    session.run("pytest", "-m", "slow", *(session.posargs or PYTEST_DEFAULTS))


@nox.session
def tests_gpu(session: nox.Session) -> None:
    """Tests marked `gpu`; needs CUDA."""
    if os.environ.get("CUDA_VISIBLE_DEVICES") == "":
        session.error("CUDA_VISIBLE_DEVICES is empty: the gpu tests need a visible CUDA device")
    _install(session)
    session.run(
        "pytest", "-m", "gpu", *(session.posargs or PYTEST_DEFAULTS), env={"PASD_BENCH_TEST_DEVICE": "cuda"}
    )


@nox.session
def calibration(session: nox.Session) -> None:
    """Tests marked `calibration`: our metric numbers against published reference numbers.

    Needs the reference images (PASD_BENCH_PYIQA_CALIBRA=<IQA-PyTorch checkout>/ResultsCalibra) and,
    for the network metrics, real weights; each test skips with the reason when they are absent.
    """
    _install(session)
    session.run("pytest", "-m", "calibration", *(session.posargs or PYTEST_DEFAULTS))


@nox.session
def drift(session: nox.Session) -> None:
    """Metric drift: run the `sample-golden` preset and compare with benchmarks/drift/golden/sample.json.

    Exit 1 on drift, 2 on missing cells. `nox -s drift -- --record` rewrites the golden file
    (after a deliberate change); `nox -s drift -- check --results DIR --golden FILE` checks your own
    results instead (any `pasd-bench drift` arguments).
    """
    _install(session)
    env = {"LC_ALL": "C.UTF-8", "HF_HUB_OFFLINE": "1", "PYTHONHASHSEED": "0"}
    args = list(session.posargs)
    if args and args[0] in ("check", "record", "sample"):
        session.run("pasd-bench", "drift", *args, env=env)
    else:
        session.run("pasd-bench", "drift", "sample", "--out", LOCATIONS["drift"], *args, env=env)
