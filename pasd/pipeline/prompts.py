"""High-level information -> text prompt: pluggable prompt sources and PASD's prompt composition.

A prompt source maps the LQ image (PIL RGB) to a short text (a class name, detection counts, a
caption, a fixed prompt, or nothing). :func:`compose_prompt` then adds the user prompt and PASD's
fixed positive words with the official ``test_pasd.py`` separators, which differ per source.
Sources that need networks live in :mod:`pasd.pipeline.prompt_models`; they register here under
``class``, ``detect``, ``caption`` (CoCa, the official default) and ``blip``.
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

    def compose(self, text: str, user_prompt: str = "", added_prompt: str = ADDED_PROMPT) -> str:
        """This source's official prompt for its ``text`` (see :func:`compose_prompt`)."""
        return compose_prompt(text, user_prompt, added_prompt, rule=self.name)

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
    """Build the prompt source registered as ``name`` (``none``, ``fixed``, ``class``, ``detect``, ``caption``, ``blip``).

    Raises:
        KeyError: For an unknown name (with close matches).
    """
    import pasd.pipeline.prompt_models  # noqa: F401  (registers the network-backed sources)

    return PROMPT_SOURCES.get(name)(**kwargs)


#: how each source's text, the user prompt and the added words are joined (official test_pasd.py)
COMPOSE_RULES: tuple[str, ...] = ("none", "fixed", "class", "detect", "caption", "blip")


def compose_prompt(
    high_level: str, user_prompt: str = "", added_prompt: str = ADDED_PROMPT, rule: str = "none"
) -> str:
    """The positive prompt exactly as the official ``get_validation_prompt`` + ``added_prompt`` build it.

    Each source joins differently (test_pasd.py:132-173, 217):

    * ``class``: ``"{class}, "``, or ``"{user}, {class}, "``; a class below probability 0.1
      (``high_level == ""``) drops the user prompt too;
    * ``detect``: ``"{n} {name}, "`` per class, the user prompt first: ``"{user}, {counts}, "``;
    * ``caption`` (CoCa): the caption then ``" {user}"``; CoCa captions end in a space;
    * ``blip``: ``"{caption}, {user}"``;
    * ``none``: ``"{user}, "`` or nothing; ``fixed``: its text as the user prompt.

    The added words are appended with no separator (``validation_prompt += args.added_prompt``).

    Args:
        high_level: The source's text (class name, detection counts, caption, or "").
        user_prompt: ``--prompt``.
        added_prompt: ``--added_prompt`` (official: "clean, high-resolution, 8k").
        rule: One of :data:`COMPOSE_RULES` (the source's name).

    Returns:
        The prompt string.

    Raises:
        ValueError: For an unknown rule.

    Example:
        >>> compose_prompt("tabby", "a photo", rule="class")
        'a photo, tabby, clean, high-resolution, 8k'
        >>> compose_prompt("a cat on a sofa . ", "", rule="caption")
        'a cat on a sofa . clean, high-resolution, 8k'
        >>> compose_prompt("a cat on a sofa", "sharp", rule="blip")
        'a cat on a sofa, sharpclean, high-resolution, 8k'
    """
    user = user_prompt
    if rule == "class":
        text = "" if not high_level else (f"{high_level}, " if not user else f"{user}, {high_level}, ")
    elif rule == "detect":
        counts = f"{high_level}, " if high_level else ""
        text = counts if not user else f"{user}, {counts}"
    elif rule == "caption":
        text = high_level if not user else f"{high_level} {user}"
    elif rule == "blip":
        text = high_level if not user else f"{high_level}, {user}"
    elif rule in ("none", "fixed"):
        text = user or high_level
        text = f"{text}, " if text else ""
    else:
        raise ValueError(f"prompt rule {rule!r} is not one of {COMPOSE_RULES}")
    return text + added_prompt
