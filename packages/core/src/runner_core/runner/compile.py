"""``compile=True`` / ``compile=dict(...)``: ``torch.compile`` the model's ``train_step``.

MMEngine reads the config's ``compile`` key when training starts and
replaces ``model.train_step`` by its compiled version; the options go to
``torch.compile`` (``backend``, ``mode``, ``dynamic``, ...). The method is
compiled, not the module, so checkpoints keep their keys (no ``_orig_mod.``).

The option names and the values' types are checked when the Runner is built
(by ``Runner.from_cfg`` or ``Runner(..., cfg=dict(compile=...))`` alike); the
backend's and mode's names only when ``train()`` compiles, since looking them
up imports TorchDynamo (seconds), which a Runner that only tests needs not.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..errors import ConfigAssertionError, ConfigError, ConfigTypeError

# on the compiled function: the method it compiles, which a second train() compiles
# again (with the config's options then) rather than wrapping the compiled one
_ORIGINAL = "_runner_core_compiled_from"


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
            if "target" in unknown:
                hints += (
                    " target is FlexibleRunner's key; the Runner compiles train_step: remove it."
                )
            # a TypeError too, as torch.compile's call with an unknown keyword raises
            raise ConfigTypeError(
                f"compile has unknown option(s) {unknown}; torch.compile takes {allowed}.{hints}"
            )
        _check_values(value)
        return dict(value)
    raise ConfigAssertionError(  # MMEngine asserts a dict or a bool: an AssertionError too
        f"compile must be True, False or a dict of torch.compile options, got {value!r}."
    )


def check_config_compile(runner_cls: type, cfg: Any) -> None:
    """Refuse a bad ``cfg.compile`` when a ``runner_cls`` is built, not at ``train()``.

    A Runner class whose constructor takes ``compile`` itself (``FlexibleRunner``,
    as MMEngine's) checks that argument, which may carry its own ``target`` key,
    and writes the options ``train()`` uses into the config: skipped here.
    """
    from .config_keys import constructor_keys

    if cfg is None or "compile" in constructor_keys(runner_cls):
        return
    compile_options(cfg.get("compile"))


def _check_values(options: Mapping[str, Any]) -> None:
    """What torch.compile refuses without TorchDynamo, refused when the Runner is built."""
    backend = options.get("backend", "inductor")
    if not (isinstance(backend, str) or callable(backend)):
        raise ConfigTypeError(
            f"compile.backend={backend!r} is not a backend: give its name "
            "(torch._dynamo.list_backends() lists them, e.g. 'inductor', 'eager') or a callable."
        )
    for key in ("mode", "options"):
        wanted = str if key == "mode" else Mapping
        if options.get(key) is not None and not isinstance(options[key], wanted):
            raise ConfigTypeError(
                f"compile.{key}={options[key]!r} should be a {wanted.__name__} or None."
            )
    if options.get("mode") is not None and options.get("options") is not None:
        raise ConfigError(  # torch.compile: a RuntimeError (ConfigError is one)
            f"compile gives both mode={options['mode']!r} and options={dict(options['options'])!r}; "
            "torch.compile takes one of them: a mode is a named set of inductor options."
        )
    dynamic = options.get("dynamic")
    if dynamic is not None and not isinstance(dynamic, bool):
        raise ConfigAssertionError(  # torch.compile asserts it
            f"compile.dynamic={dynamic!r} should be True, False or None."
        )


def maybe_compile(runner: Any, target: str = "train_step") -> bool:
    """Compile ``runner.model.<target>`` if the config asks for it; True if it did."""
    cfg = getattr(runner, "cfg", None)
    options = compile_options(cfg.get("compile") if cfg is not None else None)
    if options is None:
        return False
    import torch

    model = runner.model
    current = getattr(model, target)
    original = getattr(current, _ORIGINAL, current)
    try:
        compiled: Callable[..., Any] = torch.compile(original, **options)
    except (RuntimeError, AssertionError, TypeError, ValueError) as err:
        raise _refused(options, err) from err
    try:
        setattr(compiled, _ORIGINAL, original)
    except AttributeError:  # a compile that returned a method (a test's stand-in) is not nested
        pass
    setattr(model, target, compiled)
    runner.logger.info(
        "Model.%s is compiled with torch.compile(%s); the first iterations are slow.",
        target,
        ", ".join(f"{k}={v!r}" for k, v in options.items()),
    )
    return True


def _refused(options: Mapping[str, Any], err: BaseException) -> ConfigError:
    """torch.compile's refusal of the options (an unknown backend or mode, ...) as one
    paragraph naming the config key; the class is still the kind torch raised."""
    shown = ", ".join(f"{k}={v!r}" for k, v in options.items())
    cls: type[ConfigError] = ConfigError  # a RuntimeError, as torch's InvalidBackend
    if isinstance(err, AssertionError):
        cls = ConfigAssertionError
    elif isinstance(err, TypeError):
        cls = ConfigTypeError
    return cls(
        f"compile=dict({shown}) was refused by torch.compile: {str(err).rstrip('.')}. "
        "Fix the config's compile key (torch._dynamo.list_backends() lists the backends, "
        "torch._inductor.list_mode_options() the modes), or set compile=False."
    )
