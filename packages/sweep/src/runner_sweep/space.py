"""The search space: ``SPACE.py`` defines ``space = {config path: dict(type=..., ...)}``.

Each entry holds the arguments of Optuna's ``suggest_float`` / ``suggest_int``
/ ``suggest_categorical``; the key is the config path the value goes to (as
in ``--cfg-options``). A bad entry is a ``ConfigError`` naming it.
"""

from __future__ import annotations

import math
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
                parts.append(f"has unknown {name!r}{_hint(name, required + optional)}")
            raise ConfigError(
                f"{entry} ({kind}) {'; '.join(parts)}. A {kind} parameter takes "
                f"{', '.join(required + optional)} (the arguments of Optuna's suggest_{kind})."
            )
        if kind == "categorical":
            choices = args["choices"]
            if not isinstance(choices, (list, tuple)) or not choices:
                raise ConfigError(f"{entry}: choices must be a non-empty list, not {choices!r}.")
        else:
            args = _check_range(entry, kind, args)
        checked[key] = {"type": kind, **args}
    return checked


def _hint(name: str, candidates: tuple[str, ...]) -> str:
    """`` (did you mean 'x'?)`` for a misspelt argument, or ''."""
    hint = did_you_mean(name, candidates).strip()
    return f" ({hint[0].lower()}{hint[1:]})" if hint else ""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_range(entry: str, kind: str, args: dict[str, Any]) -> dict[str, Any]:
    """What Optuna's ``FloatDistribution`` / ``IntDistribution`` would refuse, as input errors.

    Checked when the space file is read, so a bad entry stops the sweep before
    any trial (a trial would fail on it, leaving a FAIL trial in the study).
    ``step=None`` means no step, as in Optuna; it is dropped.
    """
    args = {k: v for k, v in args.items() if not (k == "step" and v is None)}
    low, high = args["low"], args["high"]
    where = f"{entry} ({kind})"
    if kind == "int":
        for name, fix in (("low", math.ceil), ("high", math.floor)):
            value = args[name]
            if not _is_whole(value):
                example = (
                    f" such as {name}={fix(value)}"
                    if _is_number(value) and math.isfinite(value)
                    else ""
                )
                raise ConfigError(
                    f"{where}: {name}={value!r} is not a whole number. An int parameter takes int "
                    f"bounds: give {name} an int{example}, or make the entry type='float'."
                )
    elif not (_is_number(low) and _is_number(high) and math.isfinite(low) and math.isfinite(high)):
        raise ConfigError(
            f"{where}: low and high must be finite numbers, got low={low!r}, high={high!r}. "
            "Example: dict(type='float', low=1e-4, high=1e-1, log=True)."
        )
    if not low < high:
        raise ConfigError(
            f"{where}: low and high must be numbers with low < high, got low={low!r}, "
            f"high={high!r}. Swap them, or make the entry categorical for a single value."
        )
    log = args.get("log", False)
    if not isinstance(log, bool):
        raise ConfigError(f"{where}: log={log!r} must be True or False.")
    if "step" in args:
        step = args["step"]
        if kind == "int" and not (_is_whole(step) and step >= 1):
            raise ConfigError(
                f"{where}: step={step!r} must be a whole number of at least 1 (the distance "
                "between the values tried), e.g. step=2; drop it for every value."
            )
        if kind == "float" and not (_is_number(step) and math.isfinite(step) and step > 0):
            raise ConfigError(
                f"{where}: step={step!r} must be a positive number (the distance between the "
                "values tried), e.g. step=0.01; drop it for a continuous range."
            )
        if log and (kind == "float" or step != 1):
            raise ConfigError(
                f"{where}: log=True and step={step!r} cannot be combined (Optuna samples a log "
                "scale without steps): drop step for a log scale, or drop log=True for steps."
            )
    if log and kind == "float" and low <= 0:
        raise ConfigError(
            f"{where}: log=True needs low > 0 (a log scale has no zero or negative values), "
            f"got low={low!r}: give a small positive low such as low={_positive_example(high)}, "
            "or drop log=True."
        )
    if log and kind == "int" and low < 1:
        raise ConfigError(
            f"{where}: log=True needs low >= 1 (a log scale has no zero or negative values), "
            f"got low={low!r}: set low=1 or more, or drop log=True."
        )
    return args


def _positive_example(high: float) -> str:
    return f"{high / 1000:.0e}" if high > 0 else "1e-05"


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
