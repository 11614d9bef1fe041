"""The search space: ``SPACE.py`` defines ``space = {config path: dict(type=..., ...)}``.

Each entry holds the arguments of Optuna's ``suggest_float`` / ``suggest_int``
/ ``suggest_categorical``; the key is the config path the value goes to (as
in ``--cfg-options``). A bad entry is a ``ConfigError`` naming it.
"""

from __future__ import annotations

import json
import math
import runpy
from collections.abc import Iterator, Mapping
from decimal import Decimal
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
            # a study keeps its choices as JSON (a tuple comes back a list): Optuna gets them
            # in that form from the start, so a continued study or another worker sees the
            # same space; a trial gets the choice as written (mmcv wants its tuples)
            forms = [_json_form(choice, entry) for choice in choices]
            args["choices"] = forms
            if any(type(f) is not type(c) or f != c for f, c in zip(forms, choices)):
                args["originals"] = list(choices)
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
        span, stride = Decimal(str(high)) - Decimal(str(low)), Decimal(str(step))
        if span % stride:
            top = Decimal(str(low)) + (span // stride) * stride
            raise ConfigError(
                f"{where}: step={step!r} does not divide the range {low!r}..{high!r}, so "
                f"{high!r} could never be tried (Optuna would lower high to {_plain(top)}). "
                f"Set high={_plain(top)}, or a step that divides high - low."
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


def _plain(value: Decimal) -> str:
    """A decimal as Python would write the number (``0.6``, ``12``)."""
    return repr(int(value)) if value == value.to_integral_value() else repr(float(value))


def _positive_example(high: float) -> str:
    return f"{high / 1000:.0e}" if high > 0 else "1e-05"


def _json_form(choice: Any, entry: str) -> Any:
    """``choice`` as the study stores it (JSON: tuples become lists); a numpy number as a
    Python one. Refused where JSON would change it otherwise (a dict key that is no str)."""
    if hasattr(choice, "item") and not isinstance(choice, (list, tuple, dict, str, bytes)):
        choice = choice.item()  # np.float32(0.1) and the like
    if choice is None or isinstance(choice, (bool, int, float, str)):
        return choice
    try:
        form = json.loads(json.dumps(choice))
    except (TypeError, ValueError) as exc:
        raise ConfigError(
            f"{entry}: every choice must be None, a bool, number or string, or a dict/list "
            f"of those (the study stores choices as JSON): {exc}."
        ) from exc
    if _keys_change(choice):
        raise ConfigError(
            f"{entry}: the choice {choice!r} has a dict key that is no string, which the "
            "study's JSON would turn into one: write the key as a string."
        )
    return form


def _keys_change(value: Any) -> bool:
    if isinstance(value, dict):
        return any(not isinstance(k, str) or _keys_change(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_keys_change(v) for v in value)
    return False


def original_value(spec: Mapping[str, Any], value: Any) -> Any:
    """The choice as the space file wrote it, for ``value`` in the study's JSON form."""
    originals = spec.get("originals")
    if not originals:
        return value
    try:
        return originals[list(spec["choices"]).index(value)]
    except ValueError:  # not one of this space's choices (an older study's)
        return value


def original_params(
    space: Mapping[str, Mapping[str, Any]], params: Mapping[str, Any]
) -> dict[str, Any]:
    """A trial's params with each categorical value as the space file wrote it."""
    return {
        key: original_value(space[key], value) if key in space else value
        for key, value in params.items()
    }


def suggest(trial: Any, space: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Ask ``trial`` for one value per entry; returns ``{config path: value}``."""
    values: dict[str, Any] = {}
    for key, spec in space.items():
        args = {k: v for k, v in spec.items() if k not in ("type", "originals")}
        if spec["type"] == "float":
            values[key] = trial.suggest_float(key, **args)
        elif spec["type"] == "int":
            values[key] = trial.suggest_int(key, **args)
        else:
            choice = trial.suggest_categorical(key, list(args["choices"]))
            values[key] = original_value(spec, choice)
    return values


def grid(space: Mapping[str, Mapping[str, Any]]) -> dict[str, list[Any]]:
    """The grid sampler's search space: categorical choices, or int/float ranges by step."""
    out: dict[str, list[Any]] = {}
    for key, spec in space.items():
        if spec["type"] == "categorical":
            out[key] = list(spec["choices"])
        elif spec["type"] == "int":
            out[key] = list(range(spec["low"], spec["high"] + 1, spec.get("step") or 1))
        elif spec.get("step"):
            out[key] = float_grid(spec["low"], spec["high"], spec["step"])
        else:
            raise ConfigError(
                f"--sampler grid needs a finite grid, but space[{key!r}] is a float without "
                "step: add step=..., make it categorical, or use --sampler tpe/random."
            )
    return out


def float_grid(low: float, high: float, step: float) -> list[float]:
    """``low, low + step, ...`` up to ``high``, in decimal arithmetic (no float drift).

    As Optuna's ``suggest_float(step=...)``: the largest point is the largest
    multiple of ``step`` above ``low`` that is not above ``high``.
    """
    start, stride = Decimal(str(low)), Decimal(str(step))
    count = int((Decimal(str(high)) - start) // stride) + 1
    return [float(start + i * stride) for i in range(count)]


def distributions(space: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Optuna's distribution for each entry (what ``suggest`` asks for)."""
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for key, spec in space.items():
        args = {k: v for k, v in spec.items() if k != "type"}
        if spec["type"] == "float":
            out[key] = FloatDistribution(**args)
        elif spec["type"] == "int":
            out[key] = IntDistribution(**args)
        else:
            out[key] = CategoricalDistribution(list(args["choices"]))
    return out


def check_paths(space: Mapping[str, Any], cfg: Mapping[str, Any], where: str) -> None:
    """Every key must be a path the run reads: checked against the loaded config ``cfg``.

    The parents of a path must exist in the config (a value put under a key
    nothing reads changes nothing); a last key the config does not set must be
    one the object its dict builds accepts (see :func:`_check_added_key`), and
    an index into a list must exist. A top-level key must be a dict or a key
    the Runner reads: a config's own variable (``lr = 0.01`` used as
    ``optimizer=dict(lr=lr)``) was substituted when the file was loaded, so
    setting it afterwards changes nothing.
    """
    from runner_core.runner.config_keys import OTHER_KNOWN_KEYS
    from runner_core.runner.runner import RUNNER_KEYS

    known = (*RUNNER_KEYS, *OTHER_KNOWN_KEYS)
    added: list[str] = []  # leaf keys the config does not set: judged by the config checker
    for key in space:
        entry = f"space[{key!r}] in {where}"
        parts = key.split(".")
        node: Any = cfg
        for depth, part in enumerate(parts[:-1]):
            child = _child(node, part)
            if child is _MISSING and isinstance(node, (list, tuple)):  # past a list's end
                raise ConfigError(
                    f"{entry}: {'.'.join(parts[:depth])!r} is a list of {len(node)} in the "
                    f"config, so {part!r} names no item of it, and nothing would read {key!r}. "
                    f"Give an index from 0 to {len(node) - 1}."
                )
            if child is _MISSING:
                at = ".".join(parts[:depth]) or "the top level"
                keys = list(node) if isinstance(node, Mapping) else []
                full = ".".join(parts[: depth + 1])
                near = [".".join([*parts[:depth], str(k)]) for k in keys]
                raise ConfigError(
                    f"{entry}: the config has no {'.'.join(parts[: depth + 1])!r}, so nothing "
                    f"would read {key!r}.{_suggest(cfg, parts, near, full)} Keys at {at}: "
                    f"{', '.join(map(str, keys)) or '(none)'}."
                )
            if not isinstance(child, (Mapping, list, tuple)):
                raise ConfigError(
                    f"{entry}: {'.'.join(parts[: depth + 1])!r} is {child!r} in the config, not a "
                    f"dict, so {key!r} names nothing. Give the path of a value inside a dict."
                )
            node = child
        if len(parts) > 1:
            if isinstance(node, Mapping) and parts[-1] not in node:
                added.append(key)
            elif not isinstance(node, Mapping) and _child(node, parts[-1]) is _MISSING:
                parent = ".".join(parts[:-1])
                raise ConfigError(
                    f"{entry}: {parent!r} is a list of {len(node)} in the config, so "
                    f"{parts[-1]!r} names no item of it. Give an index from 0 to {len(node) - 1}."
                )
            continue
        if key in known:
            continue
        value = cfg.get(key, _MISSING)
        if value is _MISSING:
            raise ConfigError(
                f"{entry}: {key!r} is not a config key the run reads (a top-level key must be "
                f"one the Runner reads).{_suggest(cfg, parts, known, key)} Give the full path, "
                "e.g. 'optim_wrapper.optimizer.lr'."
            )
        if not isinstance(value, Mapping):
            raise ConfigError(
                f"{entry}: {key!r} is a variable of the config file, not a setting the run "
                "reads: variables are substituted where the file uses them when it is loaded, "
                f"so setting {key!r} afterwards changes nothing.{_suggest(cfg, parts, (), key)} "
                "Give the full path of the setting to tune."
            )

    if added:
        from runner_cli.config_checker import check_config

        base = {str(p) for p in check_config(cfg)[0]}  # what the config alone has
        for key in added:
            _check_added_key(key, space[key], cfg, base, where)


def _check_added_key(
    key: str, spec: Mapping[str, Any], cfg: Mapping[str, Any], base: set[str], where: str
) -> None:
    """Refuse a leaf key the config does not set when no value of the entry can be set there.

    A setting left at its default (``optim_wrapper.optimizer.weight_decay``) is
    absent from the config yet fine to tune; a misspelt one
    (``optim_wrapper.optimizer.lrr``) would fail the first trial as it is built,
    and stop the sweep. ``runner-cli config check``'s checker judges the config
    with each value set (the entry's bounds, or every choice), against the
    signature of the class the key's dict builds; the key is refused only if
    every value brings a problem the config alone does not have, so a value
    that only some of the range makes an object refuse stays a failed trial.
    """
    import copy

    from runner_cli.config_checker import check_config
    from runner_core.config import Config

    values = (
        spec.get("originals", spec["choices"])
        if spec["type"] == "categorical"
        else (spec["low"], spec["high"])
    )
    first: list[str] = []
    for value in values:
        trial = Config(copy.deepcopy(dict(cfg)))
        trial.merge_from_dict({key: value})
        new = [str(p) for p in check_config(trial.to_dict())[0] if str(p) not in base]
        if not new:
            return
        first = first or new
    parts = key.split(".")
    parent: Any = cfg
    for part in parts[:-1]:
        parent = _child(parent, part)
    near = [".".join([*parts[:-1], str(k)]) for k in parent]
    problems = " ".join(first)
    hint = "" if "Did you mean" in problems else _suggest(cfg, parts, near, key)
    raise ConfigError(
        f"space[{key!r}] in {where}: the config has no {key!r}, and no value of the entry "
        f"can be set there (the sweep would stop at its first trial): {problems}{hint} Give "
        f"the path of a setting the run reads (keys at {'.'.join(parts[:-1])}: "
        f"{', '.join(map(str, parent))})."
    )


_MISSING = object()


def _child(node: Any, part: str) -> Any:
    if isinstance(node, Mapping):
        return node.get(part, _MISSING)
    if isinstance(node, (list, tuple)) and part.isdigit() and int(part) < len(node):
        return node[int(part)]
    return _MISSING


def _leaf_paths(node: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted path, value)`` of every value in nested dicts."""
    if isinstance(node, Mapping):
        for key, value in node.items():
            path = f"{prefix}{key}"
            yield path, value
            yield from _leaf_paths(value, f"{path}.")


def _suggest(cfg: Mapping[str, Any], parts: list[str], near: Any, word: str) -> str:
    """`` Did you mean ...?`` : paths in the config ending with the key's path, else a close key."""
    tail = ".".join(parts)
    ends = [p for p, _ in _leaf_paths(cfg) if p.endswith(f".{tail}")]
    if ends:
        return " Did you mean " + " or ".join(repr(p) for p in ends[:3]) + "?"
    return did_you_mean(word, [str(k) for k in near])
