import json
import subprocess
import sys

from click.testing import CliRunner

from benchmarks.cli import COMMANDS, cli, main
from tests.toy_artifacts import TOY_BYTES


def test_every_command_has_help():
    runner = CliRunner()
    assert runner.invoke(cli, ["--help"]).exit_code == 0
    for name in COMMANDS:
        res = runner.invoke(cli, [name, "--help"])
        assert res.exit_code == 0, (name, res.output)
        assert "Usage:" in res.output


def test_env_json_parses():
    res = CliRunner().invoke(cli, ["env", "--json"])
    assert res.exit_code == 0, res.output
    env = json.loads(res.output)
    assert env["packages"]["torch"] and env["packages"]["diffusers"]
    assert env["torch"]["devices"][0]["device"] == "cpu"
    assert env["torch"]["devices"][0]["dtypes"]["float32"] is True
    assert env["pillow_codecs"]["libjpeg"]


def test_weights_verify_missing_exits_1_with_fetch_command(toy_table, capsys):
    code = main(["weights", "verify", "toy-url"])
    out = capsys.readouterr()
    assert code == 1
    assert "pasd-bench weights fetch toy-url" in out.err
    assert "Traceback" not in out.err + out.out


def test_weights_verify_present_exits_0(toy_table, isolated_caches, capsys):
    p = isolated_caches / "pasd-home" / "weights" / "toy-url" / "toy-1234.pth"
    p.parent.mkdir(parents=True)
    p.write_bytes(TOY_BYTES)
    assert main(["weights", "verify", "toy-url"]) == 0
    assert "ok" in capsys.readouterr().out


def test_weights_list_shows_entries(toy_table, capsys):
    assert main(["weights", "list"]) == 0
    out = capsys.readouterr().out
    assert "toy-url" in out and "toy-hf" in out and "missing" in out


def test_weights_fetch_offline_exits_1(toy_table, capsys, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert main(["weights", "fetch", "toy-url"]) == 1
    assert "cannot reach" in capsys.readouterr().err


def test_unknown_artifact_is_one_line_error(toy_table, capsys):
    code = main(["weights", "verify", "toy-ur"])
    assert code == 2  # unusable input, not "some items failed"
    assert "Did you mean" in capsys.readouterr().err


def test_console_script_verify_sd15_offline(isolated_caches):
    """The issue's 'done when': `pasd-bench weights verify sd15` exits 1 with the fetch command."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.cli", "weights", "verify", "sd15"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert "pasd-bench weights fetch sd15" in proc.stderr
    assert "Traceback" not in proc.stderr
