"""The one error every weight loader in the suite raises when an artifact is not usable."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class MissingWeightsError(FileNotFoundError):
    """A pretrained artifact is missing, incomplete or could not be downloaded.

    The message names the artifact, every path that was searched (in order) and the exact
    command that fetches it, so a user can act on it without reading code.

    Args:
        name: registry name of the artifact (``pasd-bench weights list`` shows them).
        searched: the candidate locations, in resolution order, each as ``(label, path)``.
        reason: what is wrong (which file is missing, why a download failed).
        manual: optional instructions for artifacts with no direct download.
        fetchable: ``False`` for an artifact ``pasd-bench weights fetch`` cannot download (then
            ``manual`` is the only way, and the message does not offer the command).
    """

    def __init__(
        self,
        name: str,
        searched: Sequence[tuple[str, Path | str]] = (),
        reason: str = "not found",
        manual: str | None = None,
        fetchable: bool = True,
    ) -> None:
        self.name = name
        self.searched = [(label, str(path)) for label, path in searched]
        self.reason = reason
        self.manual = manual
        self.fetchable = fetchable
        self.fetch_command = (
            f"pasd-bench weights fetch {name}"
            if fetchable
            else "by hand (`pasd-bench weights fetch` cannot download it)"
        )
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [f"weights {self.name!r}: {self.reason}"]
        if self.searched:
            lines.append("searched:")
            lines.extend(f"  - {label}: {path}" for label, path in self.searched)
        lines.append(f"get it with: {self.fetch_command}")
        if self.manual:
            lines.append(f"{'or ' if self.fetchable else ''}by hand: {self.manual}")
        return "\n".join(lines)

    def __str__(self) -> str:  # FileNotFoundError would otherwise format errno/filename
        return self._message()
