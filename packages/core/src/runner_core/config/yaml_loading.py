"""Reading YAML configs safely: a YAML config never executes code."""

from __future__ import annotations

from typing import Any

from .errors import ConfigError


def load_yaml(text: str, filename: str) -> Any:
    """Parse YAML with ``yaml.SafeLoader``; refuse ``!!python/...`` tags clearly."""
    import yaml

    try:
        return yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506 - SafeLoader
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        tag = ""
        if exc.problem and "tag" in exc.problem:
            tag = exc.problem.split("tag", 1)[1].strip().strip("'")
        raise ConfigError(
            f"{filename}:{line}: the YAML tag {tag or '(unknown)'} is refused: YAML configs are "
            "read with a safe loader and never create Python objects or execute code. Write "
            "plain values (use `type: Name` for classes), or use a .py config."
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{filename}{line}: invalid YAML ({problem}).") from None
