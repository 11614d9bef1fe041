"""Per-project defaults: the ``[tool.runner]`` table of the nearest ``pyproject.toml``.

The way Python tools (ruff, pytest, black) take project settings: the
nearest ``pyproject.toml`` above the config file (or the current folder when
there is no config file) may hold::

    [tool.runner]
    default_hooks_set = "digits"     # the default-hooks set of every run here
    work_dir_root = "runs"           # work dirs go to runs/<config name> (relative to this file)

Precedence, for the default-hooks set: the config's ``default_hooks_set`` >
``$RUNNER_DEFAULT_HOOKS`` > ``[tool.runner]`` > ``'standard'``; for the work
dir: ``--work-dir`` > the config's ``work_dir`` > ``[tool.runner]
work_dir_root`` > ``work_dirs``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, did_you_mean

DEFAULT_SET_ENV = "RUNNER_DEFAULT_HOOKS"
#: keys [tool.runner] may hold, and what each must be
KNOWN_KEYS = {"default_hooks_set": str, "work_dir_root": str}
DEFAULT_WORK_DIR_ROOT = "work_dirs"


@dataclass(frozen=True)
class ProjectSettings:
    """The ``[tool.runner]`` table found (empty when none), and the file it came from."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    @property
    def where(self) -> str:
        return f"[tool.runner] in {self.path}"


def find_pyproject(start: str | Path | None = None) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` (a file's folder) or a folder above it."""
    here = Path(start if start is not None else Path.cwd()).expanduser().resolve()
    if here.is_file() or not here.exists():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file (tomllib on Python 3.11+, the tomli backport on 3.10)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return load_toml(path)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"{path} could not be read for its [tool.runner] table: {exc}. Fix the TOML, or "
            "remove the file if it is not a project's."
        ) from exc


def project_settings(config_path: str | Path | None = None) -> ProjectSettings:
    """``[tool.runner]`` of the nearest pyproject.toml above ``config_path`` (or the cwd)."""
    path = find_pyproject(config_path)
    if path is None:
        return ProjectSettings()
    table = _read_toml(path).get("tool", {}).get("runner")
    if table is None:
        return ProjectSettings(path)
    if not isinstance(table, dict):
        raise ConfigError(f"[tool.runner] in {path} must be a table, not {table!r}.")
    for key, value in table.items():
        if key not in KNOWN_KEYS:
            raise ConfigError(
                f"[tool.runner] in {path} has an unknown key {key!r}.{did_you_mean(key, KNOWN_KEYS)}"
                f" It may hold: {', '.join(KNOWN_KEYS)}."
            )
        if not isinstance(value, KNOWN_KEYS[key]) or not value:
            raise ConfigError(
                f"[tool.runner] {key} in {path} must be a non-empty string, not {value!r}."
            )
    return ProjectSettings(path, dict(table))


def choose_default_set(
    config_value: str | None, config_path: str | Path | None = None
) -> tuple[str | None, str]:
    """(the default-hooks set named by the first source that names one, that source).

    None means no source names one: the caller falls back to ``'standard'``.
    """
    if config_value:
        return config_value, "the config's default_hooks_set"
    from_env = os.environ.get(DEFAULT_SET_ENV)
    if from_env:
        return from_env, f"${DEFAULT_SET_ENV}"
    settings = project_settings(config_path)
    if settings.get("default_hooks_set"):
        return settings.get("default_hooks_set"), settings.where
    return None, "default"


def default_work_dir(config_path: str | Path | None, name: str) -> Path:
    """``<work_dir_root>/<name>``: the root from ``[tool.runner]`` (relative to its file),
    else ``work_dirs`` (relative to the current folder).

    ``name`` (the experiment name) must be one folder name: with a path
    separator, or as ``'.'``/``'..'``, the work dir would land elsewhere
    (``'../../x'``, ``'/abs'``), which is a ``ConfigError``.
    """
    separators = {"/", os.sep, os.altsep or "/"}
    if name in ("", ".", "..") or any(sep in name for sep in separators):
        raise ConfigError(
            f"experiment_name={name!r} cannot name the work dir (it would be "
            f"{DEFAULT_WORK_DIR_ROOT}/<experiment_name>): it must be one folder name, without "
            "a path separator and other than '.' or '..', or the run would write elsewhere. Use a "
            "plain name, or set work_dir= to choose the folder."
        )
    settings = project_settings(config_path)
    root = settings.get("work_dir_root")
    if root and settings.path is not None:
        return settings.path.parent / Path(root).expanduser() / name
    return Path(DEFAULT_WORK_DIR_ROOT) / name
