"""Shared test setup: Ctrl-C as a terminal sends it, the default scope kept per test, and
fake installed distributions."""

from __future__ import annotations

import signal
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Let Ctrl-C reach the tests' child processes as it does from a terminal.

    A suite started in the background of a non-interactive shell (``scripts/test.sh &``
    in a script) inherits SIGINT ignored, and an ignored signal stays ignored in every
    child: the Ctrl-C tests' runs would then never see their Ctrl-C. Python's own
    handler here instead is reset to the default in each child it starts. Runs in
    every xdist worker too.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    # thousands of Runners in one process: Python's collector frees them, not one
    # collection per test (+35 % time); tests of that collection turn it back on
    from runner_core.runner import dropped

    dropped.enabled = False


@pytest.fixture(autouse=True, scope="module")
def _default_scope_per_module() -> Iterator[None]:
    """The same for a module: Runners a module-scoped fixture builds (before any test's own
    save) leave their DefaultScope with the module, not with every test after it."""
    from runner_core.registry.default_scope import DefaultScope

    saved = list(DefaultScope._instance_dict.items())
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


@pytest.fixture(autouse=True)
def _default_scope_per_test() -> Iterator[None]:
    """The DefaultScope instances a test makes (a Runner makes one) end with it: the
    default scope is process state, and a later test would otherwise look up names in
    whatever scope the one before left current."""
    from runner_core.registry.default_scope import DefaultScope

    saved = list(DefaultScope._instance_dict.items())
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)


@pytest.fixture
def fake_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """Install a fake distribution on ``sys.path``: ``fake_dist(name, entry_points, modules)``.

    ``entry_points`` maps a group to ``{key: 'module:object'}``; ``modules``
    maps a module name to its source. Nothing is written outside ``tmp_path``.
    """
    site = tmp_path / "site"
    site.mkdir(exist_ok=True)
    monkeypatch.syspath_prepend(str(site))

    def make(
        name: str,
        entry_points: dict[str, dict[str, str]],
        modules: dict[str, str] | None = None,
        version: str = "1.0",
    ) -> Path:
        info = site / f"{name.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        lines = []
        for group, eps in entry_points.items():
            lines.append(f"[{group}]")
            lines += [f"{k} = {v}" for k, v in eps.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        for mod, src in (modules or {}).items():
            (site / f"{mod}.py").write_text(textwrap.dedent(src))
        import importlib

        importlib.invalidate_caches()
        from runner_core.registry import discovery

        discovery.refresh()
        return info

    yield make
    from runner_core.registry import discovery

    discovery.refresh()


@pytest.fixture
def two_default_sets(fake_dist: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed default-hooks sets: only 'alpha' and 'beta' (no 'standard'), none chosen."""
    from runner_core.registry import DEFAULT_HOOK_SETS, discovery

    fake_dist(
        "two-sets",
        {"runner.default_hooks": {"alpha": "sets_two:alpha", "beta": "sets_two:beta"}},
        {"sets_two": "def alpha():\n    return {}\ndef beta():\n    return {}\n"},
    )
    entries = discovery.all_entries
    monkeypatch.setattr(  # without the standard set (and the example plugin's)
        discovery,
        "all_entries",
        lambda: {
            g: [e for e in items if g != "runner.default_hooks" or e.distribution == "two-sets"]
            for g, items in entries().items()
        },
    )
    monkeypatch.setattr(DEFAULT_HOOK_SETS, "_loaded", {})
    monkeypatch.setattr(DEFAULT_HOOK_SETS, "_local", {})  # sets other tests registered
    monkeypatch.delenv("RUNNER_DEFAULT_HOOKS", raising=False)


@pytest.fixture
def info_logger() -> Iterator[Callable[[], Any]]:
    """Make a fresh current run logger at INFO, for tests of what goes to
    ``logger='current'``; the previous current logger comes back afterwards.

    A factory: called in the test's body, its console is the ``sys.stdout``
    that ``capsys`` reads (during fixture set-up ``sys.stdout`` is another stream).
    """
    from runner_core.logging import RunLogger
    from runner_core.logging.logger import get_logger

    before = RunLogger._current
    made: list[Any] = []

    def make() -> Any:
        made.append(get_logger("test-info-logger", log_level="INFO"))
        return made[-1]

    yield make
    for logger in made:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
            handler.close()
    RunLogger._current = before
