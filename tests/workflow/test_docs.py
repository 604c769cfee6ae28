"""The repository's text refers only to what the repository contains: every relative link of a Markdown file
resolves, and no file names a document that is not in the repository."""

import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TRACKED = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True).stdout.split()
MARKDOWN = [REPO / p for p in TRACKED if p.endswith(".md")]
TEXT = [
    REPO / p for p in TRACKED if p.endswith((".md", ".py", ".smk", ".yaml", ".rst", ".toml", ".sh", ".cff"))
]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


@pytest.mark.skipif(not TRACKED, reason="not a git checkout")
@pytest.mark.parametrize("path", MARKDOWN, ids=[str(p.relative_to(REPO)) for p in MARKDOWN])
def test_relative_links_resolve(path):
    broken = []
    for target in LINK.findall(path.read_text()):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        file = target.split("#")[0]
        if not (path.parent / file).exists():
            broken.append(target)
    assert not broken, f"{path.relative_to(REPO)} links to missing files: {broken}"


@pytest.mark.skipif(not TRACKED, reason="not a git checkout")
def test_no_file_names_a_document_outside_the_repository():
    outside = re.compile(r"\b(DESIGN|REFERENCES|DEVELOPERS)\.md\b|\b[Ii]ssue \d+\b|\b[Tt]he issue\b")
    this = Path(__file__).resolve()
    hits = [
        f"{p.relative_to(REPO)}:{n}"
        for p in TEXT
        if p.resolve() != this and p.exists()
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1)
        if outside.search(line)
    ]
    assert not hits, f"references to documents or issues outside the repository: {hits}"


def test_link_check_finds_a_broken_link(tmp_path):
    """The checker itself: a link to a missing file is found, a good one and a URL are not."""
    (tmp_path / "a.md").write_text("[x](b.md) [y](missing.md#s) [z](https://example.org) [w](#top)")
    (tmp_path / "b.md").write_text("")
    links = LINK.findall((tmp_path / "a.md").read_text())
    local = [t for t in links if not re.match(r"[a-z]+:", t) and not t.startswith("#")]
    found = [t for t in local if not (tmp_path / t.split("#")[0]).exists()]
    assert found == ["missing.md#s"]
