"""Every rater-facing string of the study app, in one table, so a study can be reworded or translated.

``study create`` resolves the defaults below (with the design's question and instructions) and the
researcher's overrides (``--question``, ``--instructions``, ``--consent``, ``--text FILE``) into
``study.json``; the pages and ``trial.js`` read nothing else. Strings are plain text (HTML is
escaped); ``{name}`` placeholders are filled in when a page is drawn. In the long texts
(``consent``, ``instructions``) a blank line starts a paragraph and lines starting with ``- `` form
a list.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping
from pathlib import Path

#: the designs a study can use; each has its own question and instructions
DESIGNS = ("best-of-n", "pairwise", "mos")

#: placeholder names a string may use (the values come from the study and the page)
PLACEHOLDERS = (
    "title", "n_trials", "minutes", "n_options", "page", "current", "n", "seconds", "min_width",
    "platform", "code", "max", "zoom",
)  # fmt: skip

DEFAULT_TEXT: dict[str, str] = {
    "lang": "en",
    # consent page
    "consent": (
        "You are invited to take part in a study of image quality. You will see {n_trials} pages of "
        "images. It takes about {minutes} minutes.\n\n"
        "- Participation is voluntary; you may stop at any time by closing this page.\n"
        "- We record your answers, their timing, your screen size and your browser's name. "
        "No personal data is asked for.\n"
        "- Your progress is saved: you can reload or come back later in the same browser and continue."
    ),
    "consent_agree": "I have read the above and agree to take part.",
    "button_continue": "Continue",
    "mturk_preview": "This is a preview. Please accept the task to start the study.",
    # instructions page
    "instructions_heading": "Instructions",
    "instructions": "",  # filled from DESIGN_TEXT by the design
    "how_to_look_heading": "How to look closely",
    "how_to_look_keys": (
        "- Images are shown pixel for pixel, never shrunk. Drag an image to move around in all of them at once.\n"
        "- Hover over an image to magnify the same spot in every image; click to lock the magnifier in "
        "place, click again to release it. Keys: + and - zoom, Z turns the magnifier off or on.\n"
        "- Press V for the flicker view (two results in the same place) and Space to swap them; F for full screen.\n"
        "- Press a number key to choose, Enter to confirm. An answer cannot be changed afterwards."
    ),
    "how_to_look_touch": (
        "- Images are shown pixel for pixel, never shrunk. Drag an image to move around in all of them at once.\n"
        "- Tap an image to magnify that spot in every image; tap again to hide the magnifier.\n"
        "- Use the buttons above the images to zoom, to flicker between two results, and for full screen.\n"
        "- Tap your choice, then Confirm. An answer cannot be changed afterwards."
    ),
    "attention_note": (
        "Some pages contain obviously damaged images to check attention, and a few pages are shown twice; "
        "please look carefully at every page."
    ),
    "button_start": "Start",
    # trial page
    "page_of": "Page {page} of {n_trials}",
    "question": "",  # filled from DESIGN_TEXT by the design
    "reference_label": "Input (reference)",
    "option_label": "Result {n}",
    "choose": "Choose",
    "chosen": "Chosen",
    "choice_better": "{n} is better",
    "choice_tie": "No visible difference",
    "mos_5": "Excellent",
    "mos_4": "Good",
    "mos_3": "Fair",
    "mos_2": "Poor",
    "mos_1": "Bad",
    "confirm": "Confirm",
    "status_none": "Nothing chosen yet.",
    "status_selected": "{n} chosen. Confirm to go on.",
    "status_wait": "Please keep looking for {seconds} s more.",
    "status_loading": "Loading images...",
    "status_load_failed": "An image did not load. Please reload the page.",
    "hint_keys": "Keys 1-{max} choose, Enter confirms. Drag to pan, hover to magnify (click locks it).",
    "hint_touch": "Tap your choice, then Confirm. Tap an image to magnify (tap again to hide); drag to pan.",
    "view_side": "Side by side",
    "view_flicker": "Flicker",
    "swap": "Swap",
    "zoom_in": "Zoom in",
    "zoom_out": "Zoom out",
    "zoom_level": "{zoom}x",
    "magnifier": "Magnifier",
    "fullscreen": "Full screen",
    "previous": "Previous",
    "next": "Next",
    "flicker_a": "A",
    "flicker_b": "B",
    "noscript": "This study needs JavaScript to show the images at full resolution. Please enable it.",
    # completion page
    "done_heading": "Thank you!",
    "done_body": "All your answers have been recorded.",
    "done_code": "Your completion code is:",
    "done_return": "Return to {platform}",
    "done_redirect_note": "You will be taken back automatically in a few seconds.",
    # error page
    "error_heading": "Sorry",
    "error_continue": "Continue where you left off",
    "err_consent_required": "Consent is required to take part.",
    "err_unknown_participant": "We could not find your session. Please start from the first page.",
    "err_trial_missing": "That page does not exist.",
    "err_already_answered": "You already answered page {page}; answers cannot be changed.",
    "err_not_current": "You are on page {current}, not page {page}. Please continue where you left off.",
    "err_bad_option": "That answer does not belong to this page. Please choose again.",
    "err_not_shown": "Page {page} has not been shown to you yet.",
    "err_too_fast": "Please take a little more time to look at the images before answering.",
    "err_images_not_loaded": "Not all images of this page have loaded. Please reload the page.",
    "err_rating_required": "Please choose one of the ratings.",
    "err_bad_form": "Something went wrong with your answer. Please go back and try again.",
    "err_rate_limited": "Too many new sessions from your network. Please wait a few minutes and try again.",
    "err_duplicate_id": (
        "This participant ID has already started the study. Please continue in the browser where you "
        "started, or contact the researcher."
    ),
    "err_study_full": "This study has all the participants it needs. Thank you for your interest.",
    "err_desktop_only": (
        "This study needs a desktop or laptop computer with a screen at least {min_width} pixels wide. "
        "Please open the link there."
    ),
    "err_too_large": "That request was too large.",
    "err_not_found": "There is nothing here.",
}

#: question and instructions per design (the keys left empty above)
DESIGN_TEXT: dict[str, dict[str, str]] = {
    "best-of-n": {
        "question": "Which result looks best to you? Choose the one you prefer most.",
        "instructions": (
            "Each page shows the input image for reference and {n_options} results produced from it, "
            "in a random order. Choose the one result you prefer most: the one that looks most realistic "
            "and natural, with the most convincing detail."
        ),
    },
    "pairwise": {
        "question": "Which of the two results looks better?",
        "instructions": (
            "Each page shows the input image for reference and two results produced from it. Choose the one "
            "that looks more realistic and natural, with more convincing detail. If you cannot see any "
            "difference, choose \u201cNo visible difference\u201d."
        ),
    },
    "mos": {
        "question": "How good is the quality of this image?",
        "instructions": (
            "Each page shows one image. Rate its overall quality on a five-point scale from Bad to "
            "Excellent, judging realism, sharpness, natural detail and artefacts."
        ),
    },
}

#: the keys trial.js needs (sent to the page as JSON)
SCRIPT_KEYS = (
    "status_none", "status_selected", "status_wait", "status_loading", "status_load_failed",
    "option_label", "reference_label", "zoom_level", "flicker_a", "flicker_b", "previous", "next", "choose",
    "chosen",
)  # fmt: skip

_ALLOWED = set(PLACEHOLDERS)


def check_text(key: str, value: str) -> None:
    """Raise ``ValueError`` if ``value`` is not a valid string for ``key``.

    Raises:
        ValueError: ``key`` is unknown, ``value`` is not a string, or it uses a placeholder that
            does not exist (or broken ``{`` ``}`` syntax).
    """
    if key not in DEFAULT_TEXT:
        raise ValueError(f"unknown study text key {key!r}; allowed: {sorted(DEFAULT_TEXT)}")
    if not isinstance(value, str):
        raise ValueError(f"study text {key!r} must be a string, got {type(value).__name__}")
    try:
        names = {name for _, name, spec, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as exc:
        raise ValueError(f"study text {key!r}: {exc} (write {{{{ and }}}} for literal braces)") from exc
    bad = sorted(n for n in names if n not in _ALLOWED)
    if bad:
        raise ValueError(f"study text {key!r} uses unknown placeholders {bad}; allowed: {sorted(_ALLOWED)}")


def resolve_text(design: str, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The full string table of a study: defaults, the design's question/instructions, then ``overrides``.

    Args:
        design: one of :data:`DESIGNS`.
        overrides: key -> replacement string (keys of :data:`DEFAULT_TEXT`).

    Returns:
        A complete table (every key of :data:`DEFAULT_TEXT`).

    Raises:
        ValueError: unknown design, key or placeholder.
    """
    if design not in DESIGNS:
        raise ValueError(f"design {design!r}; allowed: {list(DESIGNS)}")
    text = {**DEFAULT_TEXT, **DESIGN_TEXT[design]}
    for key, value in (overrides or {}).items():
        check_text(key, value)
        text[key] = value
    return text


def load_text_file(path: str | Path) -> dict[str, str]:
    """Read text overrides from a JSON or TOML file (a flat table of key = string).

    Raises:
        FileNotFoundError: no such file.
        ValueError: not JSON/TOML, not a flat table of strings, or an unknown key/placeholder.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no text file {path}")
    raw = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".toml":
            try:
                import tomllib
            except ModuleNotFoundError:  # Python 3.10
                import tomli as tomllib
            data = tomllib.loads(raw)
        else:
            data = json.loads(raw)
    except ValueError as exc:  # JSONDecodeError and TOMLDecodeError are both ValueErrors
        raise ValueError(f"{path} is not valid {path.suffix.lstrip('.') or 'JSON'}: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path} must hold a table of key = string, got {type(data).__name__}")
    for key, value in data.items():
        check_text(key, value)
    return dict(data)


class _Keep(dict):
    """format_map mapping that leaves unknown placeholders as they are instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, **values: object) -> str:
    """``template`` with the given placeholders filled (others left as written)."""
    return template.format_map(_Keep(values))


_LIST_ITEM = re.compile(r"^\s*-\s+")


def blocks(text: str) -> list[tuple[str, list[str]]]:
    """Split a long text into ``("p", [line])`` paragraphs and ``("ul", items)`` lists (for templates)."""
    out: list[tuple[str, list[str]]] = []
    for chunk in re.split(r"\n\s*\n", text.strip()):
        lines = [ln for ln in chunk.splitlines() if ln.strip()]
        if lines and all(_LIST_ITEM.match(ln) for ln in lines):
            out.append(("ul", [_LIST_ITEM.sub("", ln) for ln in lines]))
        elif lines:
            out.append(("p", [" ".join(ln.strip() for ln in lines)]))
    return out
