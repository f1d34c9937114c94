"""Benchmark datasets behind one interface; ``*_dataset.py`` modules register themselves on import."""

import importlib
import pkgutil

from benchmarks.datasets.base import DATASETS, Dataset, Item, VerifyReport, create_dataset, read_rgb

for _mod in pkgutil.iter_modules(__path__):
    if _mod.name.endswith("_dataset"):
        importlib.import_module(f"{__name__}.{_mod.name}")

__all__ = ["DATASETS", "Dataset", "Item", "VerifyReport", "create_dataset", "read_rgb"]
