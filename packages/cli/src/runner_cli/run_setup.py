"""From a command line to a config ready for the Runner: load, override, check parts.

Shared by ``train``, ``val``, ``test`` and ``config check`` so the four agree
on what a command needs and on the words used when something is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import UsageError

#: keys whose ``--cfg-options`` value is a path: a string keeps its spaces and commas
PATH_OPTION_KEYS = ("work_dir", "load_from", "resume")


def parse_options(cfg_options: Sequence[str]) -> dict[str, Any]:
    """``--cfg-options`` read as MMEngine reads them, except path values, kept as typed.

    MMEngine's reading drops every space and splits at commas, so
    ``work_dir=runs/lr=0.1,bs=8`` becomes a list (no folder) and
    ``work_dir='runs/my run'`` the folder ``runs/myrun``. A path is never a
    list, nor a number (``work_dir=2024`` is that folder): for ``work_dir``,
    ``load_from`` and ``resume`` the text is taken as written, without a pair
    of surrounding quotes; ``None`` is None and ``resume=True``/``False`` a bool.
    """
    from runner_core.config import parse_cfg_options

    options: dict[str, Any] = {}
    for item in cfg_options:
        key, sep, text = item.partition("=")
        if not sep or key.strip() not in PATH_OPTION_KEYS:  # without '=': MMEngine's error
            options.update(parse_cfg_options([item]))
            continue
        options[key.strip()] = _path_value(key.strip(), text.strip())
    return options


def _path_value(key: str, text: str) -> Any:
    """The value of ``--cfg-options key=text`` for a path key (see :func:`parse_options`)."""
    from runner_core.errors import ConfigError

    value = _unquoted(text)
    if value == "None":
        return None
    if key == "resume" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    if not value:
        raise ConfigError(
            f"--cfg-options {key}= has no value: give a path ({key}=path/to/...)"
            + (", or leave the option out" if key == "work_dir" else ", or None")
            + "."
        )
    return value


def _unquoted(text: str) -> str:
    """``text`` without one pair of surrounding quotes (a name may end with a quote)."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def load_config(path: str, cfg_options: Sequence[str]) -> Any:
    """``Config.fromfile(path)`` with ``--cfg-options`` merged in (both errors are ConfigError)."""
    from runner_core.config import Config
    from runner_core.config.depth import MAX_DEPTH, check_depth
    from runner_core.errors import ConfigError

    try:
        options = parse_options(cfg_options)
    except RecursionError:
        raise ConfigError(
            "--cfg-options holds a value nested too deeply to read (hundreds of brackets); "
            "check the brackets of the values you passed."
        ) from None
    check_depth(options, "--cfg-options")
    for key in options:  # dotted keys: a.b.c=1 nests one level per dot
        if str(key).count(".") > MAX_DEPTH:
            raise ConfigError(
                f"--cfg-options key {str(key)[:40]}... has {str(key).count('.') + 1} levels; "
                f"configs nest at most {MAX_DEPTH}. Check the key you passed."
            )
    cfg = Config.fromfile(path)
    check_depth(cfg.to_dict() if hasattr(cfg, "to_dict") else dict(cfg), path)
    if options:
        cfg.merge_from_dict(options)
    # a checkpoint URL on the command line is then read as the checkpoint hook saves it
    from runner_core.checkpoint.storage import remember_config_storage

    remember_config_storage(cfg)
    return cfg


def apply_work_dir(cfg: Any, work_dir: str | None, config_path: str) -> None:
    """``--work-dir`` wins, then the config's ``work_dir``, then ``<root>/<config stem>``
    (root: ``[tool.runner] work_dir_root`` of the nearest pyproject.toml, else ``work_dirs``)."""
    from runner_core.project import default_work_dir

    if work_dir:
        cfg.merge_from_dict({"work_dir": work_dir})
    elif not cfg.get("work_dir"):
        default = default_work_dir(config_path, Path(config_path).stem)
        cfg.merge_from_dict({"work_dir": str(default)})


def missing_parts_message(cfg: Any, command: str, missing: list[str]) -> str:
    """Why ``runner-cli <command>`` cannot use ``cfg`` (the words of runner_core's rule)."""
    from runner_core.runner.parts import missing_message

    return missing_message(
        command,
        missing,
        getattr(cfg, "filename", None) or "the config",
        f"be used for `runner-cli {command}`",
        " (or set them with --cfg-options)",
    )


def require_parts(cfg: Any, command: str) -> None:
    """Raise a ConfigError naming every part ``command`` needs and the config lacks.

    Misspelled top-level keys are reported first: ``train_dataloder`` explains a
    missing ``train_dataloader`` better than "it has no train_dataloader" does.
    (When nothing is missing, ``Runner.from_cfg`` checks the keys: once a run.)
    """
    from runner_core.errors import ConfigError
    from runner_core.runner.parts import missing_parts

    missing = missing_parts(cfg, command)
    if missing:
        from runner_core.runner.runner import check_top_level_keys

        check_top_level_keys(cfg)
        raise ConfigError(missing_parts_message(cfg, command, missing))


def require_file(path: str, what: str, flag: str | None = None) -> Path | str:
    """A path given on the command line must exist (a usage error otherwise).

    A checkpoint URL must be served by a storage backend the config's
    ``custom_imports`` registered (``register_backend``) and exist there; it
    is returned as it stands. Any other URL is refused before ``Path`` folds
    its ``//`` into a local-looking path (runner never downloads).
    """
    from runner_core.checkpoint.remote import url_scheme

    named = f"{flag} " if flag else ""
    if url_scheme(path) is not None:
        if "checkpoint" in what:
            return require_remote_checkpoint(path, f"The {what} {named}".rstrip())
        raise UsageError(
            f"The {what} {named}{path!r} is a URL: runner-cli reads local files only and never "
            "downloads. Download the file once and pass its local path."
        )
    found = Path(path).expanduser()
    if not found.is_file():
        reason = "is a folder, not a file" if found.is_dir() else "does not exist"
        raise UsageError(
            f"The {what} {named}{str(found)!r} {reason}. Check the path (relative paths start "
            f"from {str(Path.cwd())!r})."
        )
    return found


def require_remote_checkpoint(url: str, what: str) -> str:
    """A checkpoint URL must be served by a registered storage backend (the config's
    ``custom_imports`` register it: call this after loading the config) and exist there."""
    from runner_core.checkpoint.errors import CheckpointNotFoundError
    from runner_core.checkpoint.storage import require_remote_file

    try:
        require_remote_file(url, what)
    except CheckpointNotFoundError as exc:  # no registered backend serves it, or missing
        raise UsageError(str(exc)) from None
    return url


def set_load_options(cfg: Any, *, strict: bool | None = None, allow_pickle: bool = False) -> None:
    """Fill ``load_cfg``: a strict default (only if the config says nothing) and pickling."""
    given = cfg.get("load_cfg")
    if given is not None and not isinstance(given, Mapping):
        from runner_core.errors import ConfigTypeError

        raise ConfigTypeError(
            f"load_cfg is {given!r}, but it must be a dict of options, e.g. "
            "load_cfg=dict(strict=False)."
        )
    load_cfg = dict(given or {})
    if strict is not None:
        load_cfg.setdefault("strict", strict)
    if allow_pickle:
        load_cfg["allow_pickle"] = True
    if load_cfg:
        cfg.merge_from_dict({"load_cfg": load_cfg})


def build_runner(cfg: Any) -> Any:
    """``Runner.from_cfg`` (imports torch: call only when the command really runs)."""
    from runner_core.runner import Runner

    return Runner.from_cfg(cfg)
