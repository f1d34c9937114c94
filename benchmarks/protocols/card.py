"""A protocol card: a named, cited set of evaluation settings, and how it becomes engine options.

Cards are TOML files (``benchmarks/protocols/cards/*.toml``): ``name``, ``title``, ``summary``,
``packages`` (distributions whose versions are part of the protocol), ``[settings]`` (every key
of :data:`~benchmarks.protocols.schema.SETTINGS`) and ``[sources]`` (for every setting, the file
or text it was read from). A card never silently falls back to a default: a missing setting or
source is an error when the card is loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.protocols.schema import SETTINGS, check_setting, settings_for

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_TOP_KEYS = {"name", "title", "summary", "packages", "settings", "sources"}
#: musiq.variant -> the pyiqa preset name
_MUSIQ = {"koniq": "musiq", "spaq": "musiq-spaq", "paq2piq": "musiq-paq2piq", "ava": "musiq-ava"}


@dataclass(frozen=True)
class ProtocolCard:
    """One evaluation protocol.

    Attributes:
        name: registry key (lower case).
        title: one line for tables.
        summary: what the protocol does, in a sentence.
        settings: every setting (dotted keys, see ``schema.SETTINGS``).
        sources: setting -> where it was read.
        packages: distributions whose versions are part of the protocol.
        origin: the file the card came from, plus any overrides applied.
    """

    name: str
    title: str
    summary: str
    settings: Mapping[str, Any]
    sources: Mapping[str, str]
    packages: tuple[str, ...] = ()
    origin: str = ""
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def metric_options(self) -> dict[str, dict[str, Any]]:
        """Engine ``metric_options`` for the metrics this card configures (``EngineOptions``)."""
        s = self.settings
        out: dict[str, dict[str, Any]] = {}
        for m in ("psnr", "ssim"):
            out[m] = {
                k: s[f"{m}.{k}"]
                for k in ("implementation", "colour", "color_space", "round_y", "crop_border")
            }
        out["lpips"] = {"net": s["lpips.net"], "version": s["lpips.version"]}
        out["musiq"] = {"pyiqa_name": _MUSIQ[s["musiq.variant"]]}
        out["fid"] = {"implementation": s["fid.implementation"], "mode": s["fid.mode"]}
        out["clipfid"] = {"implementation": s["clipfid.implementation"], "model": s["clipfid.model"]}
        return out

    def engine_fields(self) -> dict[str, Any]:
        """``EngineOptions`` fields the card fixes besides per-metric options."""
        return {
            "alpha": self.settings["images.alpha"],
            "size_mismatch": self.settings["images.resize"],
            "metric_options": self.metric_options(),
            "protocol": self.name,
        }

    def settings_for(self, metric: str) -> dict[str, Any]:
        """The settings that can change ``metric``."""
        return settings_for(dict(self.settings), metric)

    def with_overrides(self, overrides: Mapping[str, Any]) -> ProtocolCard:
        """A copy with some settings replaced (named ``<name>+custom``; each override is its own source).

        Raises:
            KeyError / ValueError: an unknown setting or a value outside its allowed set.
        """
        if not overrides:
            return self
        settings = dict(self.settings)
        sources = dict(self.sources)
        for key, value in overrides.items():
            settings[key] = check_setting(key, value)
            sources[key] = f"override of card {self.name!r} (was {self.settings[key]!r})"
        merged = {**self.overrides, **overrides}
        return ProtocolCard(
            f"{self.name}+custom", self.title + " (customised)", self.summary, settings, sources,
            self.packages, f"{self.origin} + overrides {sorted(merged)}", merged,
        )  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, stored with every run and every golden file."""
        return {
            "name": self.name, "title": self.title, "summary": self.summary,
            "settings": dict(self.settings), "sources": dict(self.sources),
            "packages": list(self.packages), "origin": self.origin, "overrides": dict(self.overrides),
        }  # fmt: skip

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], origin: str = "") -> ProtocolCard:
        """Build and validate a card from its TOML/JSON form.

        Raises:
            ValueError: unknown top-level keys, a missing setting or source, a bad value.
        """
        where = origin or raw.get("name", "?")
        unknown = set(raw) - _TOP_KEYS - {"origin", "overrides"}
        if unknown:
            raise ValueError(
                f"protocol card {where}: unknown keys {sorted(unknown)}; allowed: {sorted(_TOP_KEYS)}"
            )
        for key in ("name", "title", "settings", "sources"):
            if key not in raw:
                raise ValueError(f"protocol card {where}: missing {key!r}")
        settings = dict(raw["settings"])
        missing = [k for k in SETTINGS if k not in settings]
        if missing:
            raise ValueError(f"protocol card {where}: settings missing {missing} (a card sets every setting)")
        for key, value in settings.items():
            try:
                check_setting(key, value)
            except (KeyError, ValueError) as exc:
                raise ValueError(f"protocol card {where}: {exc}") from exc
        sources = {k: str(v) for k, v in dict(raw["sources"]).items()}
        unsourced = [k for k in settings if not sources.get(k, "").strip()]
        if unsourced:
            raise ValueError(f"protocol card {where}: settings without a source: {unsourced}")
        return cls(
            name=str(raw["name"]).lower(), title=str(raw["title"]), summary=str(raw.get("summary", "")),
            settings=settings, sources=sources, packages=tuple(raw.get("packages", ())),
            origin=str(raw.get("origin") or origin), overrides=dict(raw.get("overrides", {})),
        )  # fmt: skip


def load_card_file(path: str | Path) -> ProtocolCard:
    """Read one card TOML file.

    Raises:
        FileNotFoundError: no such file. ValueError: an invalid card.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no protocol card file {path}")
    with open(path, "rb") as fh:
        try:
            raw = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"protocol card {path}: not valid TOML ({exc})") from exc
    return ProtocolCard.from_dict(raw, origin=str(path))


def diff_settings(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """``(key, a_value, b_value)`` for every setting that differs (missing keys read ``None``)."""
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
