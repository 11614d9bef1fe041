"""YAML configs, read and written safely: a YAML config never executes code.

The one Python tag allowed is ``tag:yaml.org,2002:python/tuple``
(``!!python/tuple``): it only builds a tuple from a list, and MMEngine's
``cfg.dump('x.yaml')`` writes it for every tuple, so configs dumped by
MMEngine load here and a round trip keeps tuples. Every other ``!!python/...``
tag (objects, names, modules) is refused. PyYAML is imported only when a YAML
file is read or written.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from .errors import ConfigError

TUPLE_TAG = "tag:yaml.org,2002:python/tuple"


@cache
def safe_loader() -> type[Any]:
    """``yaml.SafeLoader`` plus a constructor for ``!!python/tuple`` (and nothing else)."""
    import yaml

    class ConfigLoader(yaml.SafeLoader):
        pass

    def construct_tuple(loader: yaml.SafeLoader, node: yaml.Node) -> tuple[Any, ...]:
        if not isinstance(node, yaml.SequenceNode):
            raise yaml.constructor.ConstructorError(
                None, None, "a !!python/tuple must be a sequence, e.g. [1, 2]", node.start_mark
            )
        return tuple(loader.construct_sequence(node, deep=True))

    ConfigLoader.add_constructor(TUPLE_TAG, construct_tuple)
    return ConfigLoader


@cache
def safe_dumper() -> type[Any]:
    """``yaml.SafeDumper`` writing tuples as ``!!python/tuple`` sequences."""
    import yaml

    class ConfigDumper(yaml.SafeDumper):
        pass

    def represent_tuple(dumper: yaml.SafeDumper, data: tuple[Any, ...]) -> yaml.Node:
        return dumper.represent_sequence(TUPLE_TAG, data)

    ConfigDumper.add_representer(tuple, represent_tuple)
    return ConfigDumper


def load_yaml(text: str, filename: str) -> Any:
    """Parse YAML safely (tuples allowed); refuse other ``!!python/...`` tags clearly."""
    import yaml

    try:
        return yaml.load(text, Loader=safe_loader())  # noqa: S506 - a SafeLoader subclass
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        if "could not determine a constructor" not in (exc.problem or ""):
            raise ConfigError(f"{filename}:{line}: invalid YAML ({exc.problem}).") from None
        tag = ""
        if exc.problem and "tag" in exc.problem:
            tag = exc.problem.split("tag", 1)[1].strip().strip("'")
        raise ConfigError(
            f"{filename}:{line}: the YAML tag {tag or '(unknown)'} is refused: YAML configs are "
            "parsed with a safe loader, whose tags create no Python objects (only "
            "!!python/tuple is allowed). Write plain values (use `type: Name` for classes), "
            "or use a .py config."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{filename}{line}: invalid YAML ({problem}).") from None
