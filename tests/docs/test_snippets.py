"""Every code snippet in docs/ runs as written.

Per page, in a fresh temporary folder (with ``examples/`` linked in, so the
repository-relative paths of the pages work) and one Python process:

* each ```` ```python ```` block runs, in page order, in one shared namespace
  (later blocks use what earlier ones defined);
* a block right after ``<!-- snippet: file NAME -->`` is written to the file
  NAME instead (a config file a later snippet loads);
* a ```` ```console ```` block right after ``<!-- snippet: run -->`` has each
  ``$ command`` run by the shell; it must exit 0;
* a block right after ``<!-- snippet: skip -->`` is not run (say why nearby).

Other blocks (``text``, ``toml``, console output without the marker) are
illustrations only.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: Pages written by others (and checked by their own tests) or generated.
NOT_OURS = {"design.md", "distributed.md", "benchmarks.md", "reference/hooks.md"}

_BLOCK = re.compile(
    r"(?:<!--\s*snippet:\s*(?P<directive>[^>]*?)\s*-->\s*\n)?"
    r"^```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^```\s*$",
    re.M | re.S,
)

_DRIVER = r"""
import json, subprocess, sys, traceback
steps = json.load(open(sys.argv[1]))
namespace = {"__name__": "__main__"}
for i, (kind, arg, text) in enumerate(steps):
    where = f"snippet #{i + 1} ({kind} {arg or ''}) at line {steps[i][1] if kind == 'python' else ''}"
    if kind == "file":
        import os
        os.makedirs(os.path.dirname(arg) or ".", exist_ok=True)
        open(arg, "w").write(text)
    elif kind == "python":
        try:
            exec(compile(text, f"<{sys.argv[2]} line {arg}>", "exec"), namespace)
        except BaseException:
            traceback.print_exc()
            print(f"FAILED: python block at line {arg} of {sys.argv[2]}", file=sys.stderr)
            sys.exit(1)
    elif kind == "shell":
        proc = subprocess.run(text, shell=True, capture_output=True, text=True)
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-3000:], file=sys.stderr)
            print(f"FAILED (exit {proc.returncode}): {text!r} (line {arg} of {sys.argv[2]})", file=sys.stderr)
            sys.exit(1)
"""


def snippet_steps(page: Path) -> list[tuple[str, str, str]]:
    """(kind, argument, text) for every runnable block of ``page``."""
    text = page.read_text(encoding="utf-8")
    steps: list[tuple[str, str, str]] = []
    for match in _BLOCK.finditer(text):
        directive = (match.group("directive") or "").strip()
        lang, body = match.group("lang"), match.group("body")
        line = str(text.count("\n", 0, match.start("body")) + 1)
        if directive == "skip":
            continue
        if directive.startswith("file "):
            steps.append(("file", directive.split(None, 1)[1], body))
        elif lang == "python":
            steps.append(("python", line, body))
        elif lang == "console" and directive == "run":
            commands = re.sub(r"\\\n\s*", " ", body)
            for command in commands.splitlines():
                if command.startswith("$ "):
                    steps.append(("shell", line, command[2:]))
    return steps


def pages() -> list[Path]:
    found = [
        p for p in sorted(DOCS.rglob("*.md")) if p.relative_to(DOCS).as_posix() not in NOT_OURS
    ]
    return [p for p in found if snippet_steps(p)]


@pytest.mark.slow
@pytest.mark.parametrize("page", pages(), ids=lambda p: p.relative_to(DOCS).as_posix())
def test_snippets_of_the_page_run(page: Path, tmp_path: Path) -> None:
    pytest.importorskip("runner_digits", reason="the docs use the runner-digits example plugin")
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    steps_file = tmp_path / ".snippets.json"
    steps_file.write_text(json.dumps(snippet_steps(page)))
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "NO_COLOR": "1",
    }
    env.pop("RUNNER_DEFAULT_HOOKS", None)
    proc = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(steps_file), page.relative_to(ROOT).as_posix()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-6000:]


def test_every_page_of_the_index_exists_and_links_resolve() -> None:
    """Relative links between pages point at files that exist."""
    broken = []
    for page in sorted(DOCS.rglob("*.md")):
        if page.relative_to(DOCS).as_posix() in NOT_OURS - {"reference/hooks.md"}:
            continue
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+://", target):
                continue
            if not (page.parent / target).resolve().exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert not broken, "broken links: " + "; ".join(broken)
