"""The search space: ``SPACE.py`` defines ``space = {config path: dict(type=..., ...)}``.

Each entry holds the arguments of Optuna's ``suggest_float`` / ``suggest_int``
/ ``suggest_categorical``; the key is the config path the value goes to (as
in ``--cfg-options``). A bad entry is a ``ConfigError`` naming it.
"""

from __future__ import annotations

import runpy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from runner_core.errors import ConfigError, did_you_mean

#: type -> (required arguments, optional arguments) of the matching suggest_* call
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "float": (("low", "high"), ("log", "step")),
    "int": (("low", "high"), ("log", "step")),
    "categorical": (("choices",), ()),
}


def load_space(path: str | Path) -> dict[str, dict[str, Any]]:
    """Read and check ``space`` from a Python file."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ConfigError(
            f"The search space file {str(file)!r} does not exist: give --space a Python file "
            "that defines space = {'optim_wrapper.optimizer.lr': dict(type='float', low=1e-4, "
            "high=1e-1, log=True), ...}."
        )
    try:
        namespace = runpy.run_path(str(file))
    except Exception as exc:
        raise ConfigError(
            f"The search space file {str(file)!r} failed to run: {type(exc).__name__}: {exc}."
        ) from exc
    if "space" not in namespace:
        raise ConfigError(
            f"{str(file)!r} defines no 'space': add space = {{'<config path>': dict(type="
            "'float'|'int'|'categorical', ...)}."
        )
    return check_space(namespace["space"], str(file))


def check_space(space: Any, where: str = "the search space") -> dict[str, dict[str, Any]]:
    """Every entry must be ``{path: dict(type=<kind>, <that kind's arguments>)}``."""
    if not isinstance(space, Mapping) or not space:
        raise ConfigError(f"'space' in {where} must be a non-empty dict, not {space!r}.")
    checked: dict[str, dict[str, Any]] = {}
    for key, spec in space.items():
        entry = f"space[{key!r}] in {where}"
        if not isinstance(key, str) or not key:
            raise ConfigError(f"{entry}: the key must be a config path such as 'model.hidden'.")
        if not isinstance(spec, Mapping) or "type" not in spec:
            raise ConfigError(
                f"{entry} = {spec!r} must be a dict with a 'type' ({', '.join(KINDS)}), e.g. "
                "dict(type='float', low=1e-4, high=1e-1, log=True)."
            )
        kind = spec["type"]
        if kind not in KINDS:
            raise ConfigError(
                f"{entry} has type={kind!r}, which is not a kind of parameter."
                f"{did_you_mean(str(kind), KINDS)} Kinds: {', '.join(KINDS)}."
            )
        required, optional = KINDS[kind]
        args = {k: v for k, v in spec.items() if k != "type"}
        missing = [name for name in required if name not in args]
        unknown = [name for name in args if name not in required + optional]
        if missing or unknown:
            parts = []
            if missing:
                parts.append(f"lacks {', '.join(missing)}")
            for name in unknown:
                parts.append(f"has unknown {name!r}.{did_you_mean(name, required + optional)}")
            raise ConfigError(
                f"{entry} ({kind}) {'; '.join(parts)}. A {kind} parameter takes "
                f"{', '.join(required + optional)} (the arguments of Optuna's suggest_{kind})."
            )
        if kind == "categorical":
            choices = args["choices"]
            if not isinstance(choices, (list, tuple)) or not choices:
                raise ConfigError(f"{entry}: choices must be a non-empty list, not {choices!r}.")
        elif not (_numbers(args) and args["low"] < args["high"]):
            raise ConfigError(
                f"{entry}: low and high must be numbers with low < high, got low="
                f"{args['low']!r}, high={args['high']!r}."
            )
        checked[key] = {"type": kind, **args}
    return checked


def _numbers(args: Mapping[str, Any]) -> bool:
    return all(
        isinstance(args[k], (int, float)) and not isinstance(args[k], bool) for k in ("low", "high")
    )


def suggest(trial: Any, space: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Ask ``trial`` for one value per entry; returns ``{config path: value}``."""
    values: dict[str, Any] = {}
    for key, spec in space.items():
        args = {k: v for k, v in spec.items() if k != "type"}
        if spec["type"] == "float":
            values[key] = trial.suggest_float(key, **args)
        elif spec["type"] == "int":
            values[key] = trial.suggest_int(key, **args)
        else:
            values[key] = trial.suggest_categorical(key, list(args["choices"]))
    return values


def grid(space: Mapping[str, Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The grid sampler's search space: categorical choices, or int ranges by step."""
    out: dict[str, list[Any]] = {}
    for key, spec in space.items():
        if spec["type"] == "categorical":
            out[key] = list(spec["choices"])
        elif spec["type"] == "int":
            out[key] = list(range(spec["low"], spec["high"] + 1, spec.get("step") or 1))
        elif spec.get("step"):
            count = int(round((spec["high"] - spec["low"]) / spec["step"])) + 1
            out[key] = [spec["low"] + i * spec["step"] for i in range(count)]
        else:
            raise ConfigError(
                f"--sampler grid needs a finite grid, but space[{key!r}] is a float without "
                "step: add step=..., make it categorical, or use --sampler tpe/random."
            )
    return out
