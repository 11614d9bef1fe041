"""Installed metadata read the way newer Pythons require: a broken distribution folder
(no METADATA, so no Name or Version) never stops ``--version`` or plugin discovery.

Python 3.12 and 3.13 warn (DeprecationWarning) on a missing metadata field and 3.14
raises KeyError; the ``importlib_metadata`` backport (8.0 and later) already raises, so
it stands in for 3.14 here.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from runner_cli import versions
from runner_core.registry import discovery


@pytest.fixture
def strict_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    backport = pytest.importorskip("importlib_metadata")
    if int(backport.version("importlib_metadata").split(".")[0]) < 8:
        pytest.skip("needs importlib_metadata 8+ (raises KeyError on a missing field)")
    broken = tmp_path / "half_removed-1.0.dist-info"  # an interrupted uninstall leaves these
    broken.mkdir()
    (broken / "entry_points.txt").write_text("[runner.hooks]\nLeftOverHook = gone:Hook\n")
    nameless = tmp_path / "nameless-2.0.dist-info"  # METADATA without Name or Version
    nameless.mkdir()
    (nameless / "METADATA").write_text("Metadata-Version: 2.1\n")
    (nameless / "entry_points.txt").write_text("[runner.hooks]\nNamelessHook = gone:Hook\n")
    versionless = tmp_path / "runner_versionless-3.0.dist-info"  # Name without Version
    versionless.mkdir()
    (versionless / "METADATA").write_text("Metadata-Version: 2.1\nName: runner-versionless\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(discovery, "metadata", backport)
    monkeypatch.setattr(versions, "metadata", backport)
    discovery._cache.clear()
    yield tmp_path
    discovery._cache.clear()


def test_version_lists_the_packages_despite_a_nameless_distribution(
    strict_metadata: Path,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        rows = dict(versions.collect_versions())
    assert "runner-core" in rows and "torch" in rows
    assert rows["runner-versionless"] == "?"


def test_plugin_discovery_names_a_nameless_distribution_instead_of_failing(
    strict_metadata: Path,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        hooks = discovery.entries("runner.hooks")
    broken = {e.key: (e.distribution, e.version) for e in hooks if e.target == "gone:Hook"}
    assert broken == {
        "LeftOverHook": ("<unknown distribution>", "?"),
        "NamelessHook": ("<unknown distribution>", "?"),
    }
