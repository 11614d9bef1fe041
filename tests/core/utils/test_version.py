"""get_git_hash: the checked-out commit, or the fallback outside a repository or without git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from runner_core.utils import get_git_hash

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


@needs_git
def test_the_commit_of_the_current_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {
        "GIT_AUTHOR_NAME": "a",
        "GIT_AUTHOR_EMAIL": "a@b",
        "GIT_COMMITTER_NAME": "a",
        "GIT_COMMITTER_EMAIL": "a@b",
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, env=env)
    subprocess.run(
        ["git", "-C", str(tmp_path), "commit", "-q", "--allow-empty", "-m", "x"],
        check=True,
        env=env,
    )
    sha = subprocess.run(
        ["git", "-C", str(tmp_path), "rev-parse", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    monkeypatch.chdir(tmp_path)
    assert get_git_hash() == sha
    assert get_git_hash(digits=7) == sha[:7]


@needs_git
def test_outside_a_repository_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    # MMEngine 0.10.7 returns '' here; its docstring promises the fallback
    assert get_git_hash() == "unknown"
    assert get_git_hash(fallback="none", digits=7) == "none"


def test_without_git_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "")
    assert get_git_hash(fallback="no-git") == "no-git"


def test_digits_must_be_an_int() -> None:
    with pytest.raises(TypeError, match="digits must be None or an integer"):
        get_git_hash(digits="7")  # type: ignore[arg-type]
