"""``pasd-bench tables``."""

from __future__ import annotations

from click.testing import CliRunner

from benchmarks.cli import cli, main
from tests.benchmarks.results.store_data import fill_store


def test_markdown_to_stdout(tmp_path):
    fill_store(tmp_path)
    res = CliRunner().invoke(cli, ["tables", "--results", str(tmp_path), "--table", "1", "--ci"])
    assert res.exit_code == 0, res.output
    assert "**25.5000 [24.5000, 26.5000]**" in res.output  # lanczos PSNR: best, with CI
    assert "pasd-tiny (random weights)" in res.output
    assert "weights missing" in res.output


def test_tex_and_csv_to_file(tmp_path):
    fill_store(tmp_path)
    out = tmp_path / "t" / "table1.tex"
    res = CliRunner().invoke(
        cli, ["tables", "--results", str(tmp_path), "--table", "1", "--format", "tex", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert r"\textbf{25.5000}" in out.read_text() and r"\begin{tabular}" in out.read_text()
    out = tmp_path / "table1.csv"
    assert (
        main(["tables", "--results", str(tmp_path), "--table", "1", "--format", "csv", "--out", str(out)])
        == 0
    )
    assert out.read_text().splitlines()[0].startswith("table,dataset,method,")


def test_paper_mode(tmp_path):
    fill_store(tmp_path)
    res = CliRunner().invoke(cli, ["tables", "--results", str(tmp_path), "--table", "2", "--paper"])
    assert res.exit_code == 0, res.output
    assert "| FFHQ | FID↓ | ours |" in res.output and "**98.9197**" in res.output


def test_user_errors(tmp_path, capsys):
    assert main(["tables", "--results", str(tmp_path), "--table", "1"]) == 2
    assert "no results database" in capsys.readouterr().err
    fill_store(tmp_path)
    assert main(["tables", "--results", str(tmp_path), "--table", "1", "--run", "9"]) == 2
    assert "unknown run_id 9" in capsys.readouterr().err
    assert main(["tables", "--results", str(tmp_path), "--table", "4"]) == 2
