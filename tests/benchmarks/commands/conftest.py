"""Shared by the command tests: a folder of two small photos in two formats."""

from __future__ import annotations

import pytest
from PIL import Image


@pytest.fixture
def inputs(tmp_path):
    """``tmp_path/in`` with ``astro.png`` (24 x 24) and ``cat.jpg`` (20 x 16), from scikit-image photos."""
    from skimage.data import astronaut, chelsea

    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(astronaut()).resize((24, 24)).save(folder / "astro.png")
    Image.fromarray(chelsea()).resize((20, 16)).save(folder / "cat.jpg")
    return folder
