"""The repository's own claims: README links resolve, exit codes are documented, pins are real, floors tested."""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_readme_links_stay_inside_the_repository():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in text
    for target in re.findall(r"\]\(([^)#]+)\)", text):
        if "://" in target:
            continue
        assert (REPO / target).exists(), f"README links {target}, which is not in the repository"


def test_readme_documents_the_exit_codes():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Exit codes") :]
    for code in ("`0`", "`1`", "`2`"):
        assert code in section
    assert "--allow-partial" in text and "--confidence-intervals" in text


#: Hugging Face artifacts no public commit hash could be found for (see artifacts.toml's header)
UNPINNED = {"pasd", "pasd_rrdb", "pasd_light", "pasd_light_rrdb", "pasd_color", "stablesr", "stablesr-cfw",
            "stablesr-turbo", "ldm-sr-4x"}  # fmt: skip


def test_hugging_face_revisions_are_pinned_commits():
    from pasd import hub

    hf = {a.name: a.revision for a in hub.list_artifacts() if a.cache == "hf"}
    for name, revision in hf.items():
        if name in UNPINNED:
            assert revision == "main", f"{name} is pinned now: take it off UNPINNED"
        else:
            assert revision and re.fullmatch(r"[0-9a-f]{40}", revision), f"{name}: revision {revision!r}"


def test_declared_floors_are_the_tested_floors():
    """pyproject's lower bounds are the versions `nox -s tests_floor` installs (none lower, none untested)."""
    import ast

    # nox is not installed inside the session it runs, so read noxfile.py instead of importing it
    tree = ast.parse((REPO / "noxfile.py").read_text())
    pins = next(ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "FLOOR_PINS")  # fmt: skip
    sessions = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    floors = {}
    for dep in deps:
        m = re.fullmatch(r"([A-Za-z0-9_.-]+)>=([0-9.]+).*", dep.split(";")[0].strip())
        if m:
            floors[m.group(1).lower().replace("-", "_")] = m.group(2)
    for name, pinned in pins.items():
        if name == "tokenizers":  # not a direct dependency: the one transformers 5.0 needs
            continue
        declared = floors[name.lower()]
        assert pinned.startswith(declared), (
            f"{name}: pyproject says >={declared}, tests_floor installs {pinned}"
        )
    assert "tests_floor" in sessions
