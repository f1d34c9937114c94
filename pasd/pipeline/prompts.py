"""High-level information -> text prompt: pluggable prompt sources and PASD's prompt composition.

A prompt source maps the LQ image (PIL RGB) to a short text (a class name, detection counts, a
caption, a fixed prompt, or nothing). :func:`compose_prompt` then adds the user prompt and PASD's
fixed positive words as the official ``test_pasd.py`` does. Sources that need networks live in
:mod:`pasd.pipeline.prompt_models`; they register here under ``class``, ``detect``, ``caption``.
"""

from __future__ import annotations

import abc
from typing import Any

from PIL import Image

from pasd.utils.registry import new_registry

#: name -> PromptSource subclass
PROMPT_SOURCES = new_registry("prompt source")

#: official test_pasd.py defaults
ADDED_PROMPT = "clean, high-resolution, 8k"
NEGATIVE_PROMPT = "blurry, dotted, noise, raster lines, unclear, lowres, over-smoothed"
COLORIZE_NEGATIVE_PROMPT = "b&w, color bleeding"
#: captions describe the *degraded* input; the official code turns its degradation words positive
CAPTION_SUBSTITUTIONS: tuple[tuple[str, str], ...] = (("blurry", "clear"), ("noisy", "clean"))
#: colorization (control_type grayscale): a caption of a gray image asks for colour instead
COLORIZE_SUBSTITUTIONS: tuple[tuple[str, str], ...] = (("black and white", "color"),)


def substitute_words(text: str, pairs: tuple[tuple[str, str], ...] = CAPTION_SUBSTITUTIONS) -> str:
    """Replace each ``old`` by ``new`` in order (plain substring replacement, as the official code).

    Example:
        >>> substitute_words("a blurry photo of a noisy street")
        'a clear photo of a clean street'
    """
    for old, new in pairs:
        text = text.replace(old, new)
    return text


class PromptSource(abc.ABC):
    """Text describing an image's content, used as (part of) the positive prompt."""

    name: str = ""

    def load(self) -> None:  # noqa: B027 - optional hook; fixed/none sources need nothing
        """Load networks (called lazily by :meth:`__call__`)."""

    def ensure_loaded(self) -> PromptSource:
        """Load once (call early so missing weights fail before any image is processed)."""
        if not getattr(self, "_loaded", False):
            self.load()
            self._loaded = True
        return self

    def __call__(self, image: Image.Image) -> str:
        """The source's text for ``image`` (may be empty)."""
        return self.ensure_loaded().describe(image.convert("RGB"))

    @abc.abstractmethod
    def describe(self, image: Image.Image) -> str:
        """The text for one RGB image."""


@PROMPT_SOURCES.register("none")
class NullPromptSource(PromptSource):
    """The null-text prompt (ablations "w/o high-level information")."""

    name = "none"

    def describe(self, image: Image.Image) -> str:
        return ""


@PROMPT_SOURCES.register("fixed")
class FixedPromptSource(PromptSource):
    """The same text for every image (``--prompt``)."""

    name = "fixed"

    def __init__(self, text: str = "") -> None:
        self.text = text

    def describe(self, image: Image.Image) -> str:
        return self.text


def create_prompt_source(name: str, **kwargs: Any) -> PromptSource:
    """Build the prompt source registered as ``name`` (``none``, ``fixed``, ``class``, ``detect``, ``caption``).

    Raises:
        KeyError: For an unknown name (with close matches).
    """
    import pasd.pipeline.prompt_models  # noqa: F401  (registers the network-backed sources)

    return PROMPT_SOURCES.get(name)(**kwargs)


def compose_prompt(high_level: str, user_prompt: str = "", added_prompt: str = ADDED_PROMPT) -> str:
    """Join the high-level text, the user's prompt and the added positive words with ", ".

    The official script builds the prompt per source with different separators and orders (user
    prompt before a class name or detection counts but after a caption, and no separator between
    a caption and the added words); here one ", " join with the high-level text first gives the
    same words for every source.

    Example:
        >>> compose_prompt("cat", "a photo")
        'cat, a photo, clean, high-resolution, 8k'
        >>> compose_prompt("", "", "")
        ''
    """
    parts = [p.strip().strip(",").strip() for p in (high_level, user_prompt, added_prompt)]
    return ", ".join(p for p in parts if p)
