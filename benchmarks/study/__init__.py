"""Blind user study (Figs 4 and 6 of the PASD paper): create, serve, collect, analyze.

- :func:`benchmarks.study.create.create_study` builds a self-contained study folder.
- :func:`benchmarks.study.server.create_app` is the FastAPI app (``pasd-bench study serve``).
- :func:`benchmarks.study.analyze.analyze_study` computes vote shares with simultaneous CIs,
  Bradley-Terry scores, Fleiss kappa, position bias and gold-trial checks, and draws the chart.

The web stack (fastapi, uvicorn, jinja2, python-multipart) and statsmodels come with the
``study`` extra and are imported only where needed.
"""
