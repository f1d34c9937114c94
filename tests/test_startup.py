"""The method registry and the CLI's entry module load without the model libraries.

``--help``, ``--plan-only`` and ``weights list`` build the registry of every method; importing
diffusers/transformers for that took ~6 s on 2 cores before ``pasd.pipeline`` became lazy.
"""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("diffusers", "transformers", "pyiqa", "spandrel", "basicsr", "lpips", "open_clip", "cleanfid")


def test_registry_and_cli_import_no_model_library():
    code = (
        "import sys, baselines, benchmarks.cli\n"
        "from benchmarks.runner.preset import load_preset\n"
        "from pasd.utils.registry import new_registry\n"
        "import pasd.pipeline\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "", f"imported at start-up: {out.stdout.strip()}"


def test_lazy_pipeline_names_resolve_to_their_modules():
    import pasd.pipeline as pipeline
    from pasd.pipeline.prompts import NEGATIVE_PROMPT
    from pasd.pipeline.tiling import tiled_predict

    assert pipeline.NEGATIVE_PROMPT is NEGATIVE_PROMPT and pipeline.tiled_predict is tiled_predict
    assert set(pipeline.__all__) <= set(dir(pipeline))
    for name in pipeline.__all__:
        assert getattr(pipeline, name) is not None
    try:
        pipeline.not_a_name  # noqa: B018
    except AttributeError as exc:
        assert "not_a_name" in str(exc)
    else:
        raise AssertionError("unknown names must raise AttributeError")


def test_every_public_pipeline_name_has_a_home():
    import pasd.pipeline as pipeline

    assert sorted(pipeline.__all__) == sorted(pipeline._WHERE)
