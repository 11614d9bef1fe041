"""From a command line to a config ready for the Runner: load, override, check parts.

Shared by ``train``, ``val``, ``test`` and ``config check`` so the four agree
on what a command needs and on the words used when something is missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .errors import UsageError

#: What each command needs from a config: groups of alternatives, all groups required.
REQUIRED_PARTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "train": (("train_dataloader",), ("train_cfg",), ("optim_wrapper", "optimizer")),
    "val": (("val_dataloader",), ("val_evaluator",)),
    "test": (("test_dataloader",), ("test_evaluator",)),
}

_EXAMPLES = {
    "train_dataloader": "train_dataloader=dict(dataset=dict(type=...), batch_size=32)",
    "train_cfg": "train_cfg=dict(by_epoch=True, max_epochs=10)",
    "optim_wrapper": "optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01))",
    "val_dataloader": "val_dataloader=dict(dataset=dict(type=...), batch_size=32)",
    "val_evaluator": "val_evaluator=dict(type='Accuracy')",
    "test_dataloader": "test_dataloader=dict(dataset=dict(type=...), batch_size=32)",
    "test_evaluator": "test_evaluator=dict(type='Accuracy')",
}


def load_config(path: str, cfg_options: Sequence[str]) -> Any:
    """``Config.fromfile(path)`` with ``--cfg-options`` merged in (both errors are ConfigError)."""
    from runner_core.config import Config, parse_cfg_options
    from runner_core.config.depth import MAX_DEPTH, check_depth
    from runner_core.errors import ConfigError

    try:
        options = parse_cfg_options(cfg_options)
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


def _is_set(cfg: Mapping[str, Any], key: str) -> bool:
    return cfg.get(key) not in (None, {}, [])


def missing_parts(cfg: Mapping[str, Any], command: str) -> list[str]:
    """The parts ``command`` needs that ``cfg`` lacks (first name of each missing group)."""
    return [
        group[0] for group in REQUIRED_PARTS[command] if not any(_is_set(cfg, key) for key in group)
    ]


def missing_parts_message(cfg: Any, command: str, missing: list[str]) -> str:
    where = getattr(cfg, "filename", None) or "the config"
    examples = "; ".join(_EXAMPLES.get(key, f"{key}=...") for key in missing)
    return (
        f"{where} cannot be used for `runner-cli {command}`: it has no "
        f"{' and no '.join(missing)}. Add {examples} (or set them with --cfg-options)."
    )


def require_parts(cfg: Any, command: str) -> None:
    """Raise a ConfigError naming every part ``command`` needs and the config lacks.

    Misspelled top-level keys are reported first: ``train_dataloder`` explains a
    missing ``train_dataloader`` better than "it has no train_dataloader" does.
    """
    from runner_core.errors import ConfigError
    from runner_core.runner.runner import check_top_level_keys

    check_top_level_keys(cfg)
    missing = missing_parts(cfg, command)
    if missing:
        raise ConfigError(missing_parts_message(cfg, command, missing))


def require_file(path: str, what: str, flag: str | None = None) -> Path:
    """A path given on the command line must exist (a usage error otherwise)."""
    found = Path(path).expanduser()
    if not found.is_file():
        named = f"{flag} " if flag else ""
        reason = "is a folder, not a file" if found.is_dir() else "does not exist"
        raise UsageError(
            f"The {what} {named}{str(found)!r} {reason}. Check the path (relative paths start "
            f"from {str(Path.cwd())!r})."
        )
    return found


def set_load_options(cfg: Any, *, strict: bool | None = None, allow_pickle: bool = False) -> None:
    """Fill ``load_cfg``: a strict default (only if the config says nothing) and pickling."""
    load_cfg = dict(cfg.get("load_cfg") or {})
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
