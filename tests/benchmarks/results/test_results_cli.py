"""``pasd-bench results ls | show``."""

from __future__ import annotations

from click.testing import CliRunner

from benchmarks.cli import cli, main
from tests.benchmarks.results.store_data import fill_store


def test_ls_and_show(tmp_path):
    fill_store(tmp_path)
    runner = CliRunner()
    res = runner.invoke(cli, ["results", "ls", "--results", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "smoke" in res.output and "abc" in res.output
    res = runner.invoke(cli, ["results", "show", "--results", str(tmp_path), "1", "--config"])
    assert res.exit_code == 0, res.output
    assert "run 1: preset smoke" in res.output
    assert "weights-missing" in res.output and "not-available" in res.output
    assert "RuntimeError: out of memory" in res.output
    assert '"seed": 0' in res.output


def test_errors_are_one_line(tmp_path, capsys):
    assert main(["results", "ls", "--results", str(tmp_path / "none")]) == 2
    assert "no results database" in capsys.readouterr().err
    fill_store(tmp_path)
    assert main(["results", "show", "--results", str(tmp_path), "5"]) == 2
    assert "unknown run_id 5" in capsys.readouterr().err
