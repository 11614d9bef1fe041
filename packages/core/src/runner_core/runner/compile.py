"""``compile=True`` / ``compile=dict(...)``: ``torch.compile`` the model's ``train_step``.

MMEngine reads the config's ``compile`` key when training starts and
replaces ``model.train_step`` by its compiled version; the options go to
``torch.compile`` (``backend``, ``mode``, ``dynamic``, ...).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigAssertionError, ConfigTypeError


def compile_options(value: Any) -> dict[str, Any] | None:
    """``None`` (do not compile) or the ``torch.compile`` keyword arguments."""
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if isinstance(value, Mapping):
        import inspect

        import torch

        params = list(inspect.signature(torch.compile).parameters.values())[1:]
        allowed = [p.name for p in params if p.kind is not p.VAR_KEYWORD]
        takes_any = len(allowed) < len(params)
        unknown = [] if takes_any else [k for k in value if k not in allowed]
        if unknown:
            from ..errors import did_you_mean

            hints = "".join(did_you_mean(str(k), allowed) for k in unknown)
            # a TypeError too, as torch.compile's call with an unknown keyword raises
            raise ConfigTypeError(
                f"compile has unknown option(s) {unknown}; torch.compile takes {allowed}.{hints}"
            )
        return dict(value)
    raise ConfigAssertionError(  # MMEngine asserts a dict or a bool: an AssertionError too
        f"compile must be True, False or a dict of torch.compile options, got {value!r}."
    )


def maybe_compile(runner: Any, target: str = "train_step") -> bool:
    """Compile ``runner.model.<target>`` if the config asks for it; True if it did."""
    cfg = getattr(runner, "cfg", None)
    options = compile_options(cfg.get("compile") if cfg is not None else None)
    if options is None:
        return False
    import torch

    model = runner.model
    setattr(model, target, torch.compile(getattr(model, target), **options))
    runner.logger.info(
        "Model.%s is compiled with torch.compile(%s); the first iterations are slow.",
        target,
        ", ".join(f"{k}={v!r}" for k, v in options.items()),
    )
    return True
