"""Blind user study (Figs 4 and 6 of the PASD paper): create, serve, collect, analyze.

- :func:`benchmarks.study.create.create_study` builds a self-contained, blind study folder
  (every image re-encoded without metadata) for a best-of-N, pairwise (2AFC with ties) or MOS design.
- :func:`benchmarks.study.server.create_app` is the FastAPI app (``pasd-bench study serve``).
- :func:`benchmarks.study.analyze.analyze_study` computes the design's statistics (vote shares,
  Bradley-Terry, MOS) with rater-bootstrap intervals, quality flags (gold, repeats, server-timed
  speed) and draws the chart; :mod:`benchmarks.study.export` writes per-vote and long-format CSV.
- Rater-facing strings live in :mod:`benchmarks.study.text` (overridable per study).

The web stack (fastapi, uvicorn, jinja2, python-multipart) and statsmodels come with the
``study`` extra and are imported only where needed.
"""
