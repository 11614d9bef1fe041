"""A Hook class's methods checked against the hook points, before a run calls them.

A method named close to a point (``afer_train_iter``) is never called. A
point passes a method the arguments it names, and, as MMEngine passes them by
keyword, the rest to a ``**kwargs``: a misspelled parameter (``output``) would
get None, and a bare ``*args`` nothing, silently. :func:`check_hook_class` inspects the class only (nothing
is built or called), so the Runner (:meth:`HookManager.validate`),
``runner-cli config check`` and ``runner-cli plugins --check`` find the same
problems and say them in the same words.
"""

from __future__ import annotations

import difflib
import inspect
import operator
import types
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import did_you_mean
from . import specs
from .hook import _HELPER_STAGES, BASE_ATTRIBUTES, EXTRA_STAGES, STAGES, Hook

if TYPE_CHECKING:
    from ..registry.discovery import PluginEntry

STANDARD_POINTS = specs.hook_point_names()
#: how close a public method's name must be to a point's to be taken for a misspelling
CLOSE = 0.85

#: MMCV 1.x's mode-generic points: MMEngine calls per-mode points, which call the
#: ``_``-prefixed helpers of the same name
_MMCV_GENERIC = {
    f"{when}_{unit}": tuple(f"{when}_{mode}_{unit}" for mode in ("train", "val", "test"))
    for when in ("before", "after")
    for unit in ("epoch", "iter")
}

# what a :class:`MethodProblem` is about
MISSPELLED = "misspelled"  # a name close to a point's: never called
UNKNOWN_ARGUMENT = "unknown-argument"  # a parameter the point does not pass
VAR_ARGUMENTS = (
    "var-arguments"  # *args (no **kwargs) where the arguments it does not name go nowhere
)
NO_SIGNATURE = "no-signature"  # a callable without one: nothing can be passed to it
#: the kinds about a method's parameters (the others are about its name)
ARGUMENT_KINDS = frozenset({UNKNOWN_ARGUMENT, VAR_ARGUMENTS})

_ORDINARY = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


@dataclass(frozen=True)
class MethodProblem:
    """One method of a hook class that no hook point calls as written."""

    hook: str  # the class's name
    method: str
    kind: str  # one of the kinds above
    detail: str  # what is wrong and the fix, after "<hook>.<method> "

    def __str__(self) -> str:
        return f"{self.hook}.{self.method} {self.detail}"


def point_arguments(name: str) -> tuple[str, ...] | None:
    """The arguments standard hook point ``name`` passes, in the spec's order (None: no
    standard point)."""
    spec = getattr(specs, name, None)
    if name not in STANDARD_POINTS or spec is None:
        return None
    code = spec.__code__
    return tuple(code.co_varnames[: code.co_argcount])


def custom_methods(cls: type) -> list[str]:
    """``cls``'s public methods that are neither standard points nor ``Hook``'s own
    helpers: custom points (some loop may call them), or misspelled points."""
    standard = set(STANDARD_POINTS)
    names = []
    for name in dir(cls):
        if name.startswith("_") or name in BASE_ATTRIBUTES or name in standard:
            continue
        attr = getattr(cls, name, None)
        if isinstance(attr, property) or not callable(attr):
            continue
        names.append(name)
    return names


def point_methods(cls: type) -> tuple[str, ...]:
    """The points a hook of class ``cls`` implements: the standard ones it overrides
    (directly or through a mode-generic helper, as :meth:`Hook.get_triggered_stages`
    counts them) and its custom ones."""
    known = (*STAGES, *EXTRA_STAGES)
    triggered = {s for s in known if getattr(cls, s, None) is not getattr(Hook, s)}
    for helper, stages in _HELPER_STAGES.items():
        if getattr(cls, helper, None) is not getattr(Hook, helper):
            triggered.update(stages)
    return (*(s for s in known if s in triggered), *custom_methods(cls))


def check_hook_class(
    cls: type,
    declared: Mapping[str, Iterable[str]] | None = None,
    methods: Iterable[str] | None = None,
) -> list[MethodProblem]:
    """The methods of hook class ``cls`` that no hook point calls as written.

    ``declared`` are the points custom loops call (name -> the arguments they
    pass; none named: any); ``methods`` the names to check (default: the
    points the class implements, :func:`point_methods`). A public method far
    from every point is a custom point and only needs a signature.
    """
    loops = {name: tuple(args) for name, args in (declared or {}).items()}
    known = [*STANDARD_POINTS, *loops]
    problems: list[MethodProblem] = []
    for name in point_methods(cls) if methods is None else methods:
        passed = point_arguments(name)
        if passed is None and name in loops:
            passed = loops[name] or None  # a loop that named no arguments passes any
        if passed is not None:
            problems += _argument_problems(cls, name, passed)
            continue
        if name in loops:
            continue
        if name in _MMCV_GENERIC:
            if _does_nothing(getattr(cls, name, None)):  # a template's stub: nothing lost
                continue
            detail = (
                "is MMCV 1.x's generic point, which no hook point calls: name the points "
                f"({', '.join(_MMCV_GENERIC[name])}), or override MMEngine's _{name}"
                f"(runner, ...) helper, which {_MMCV_GENERIC[name][0]} and the others call."
            )
            problems.append(MethodProblem(cls.__name__, name, MISSPELLED, detail))
            continue
        spelled = name.replace("iteration", "iter").replace("epochs", "epoch")
        close = [spelled] if spelled in known else difflib.get_close_matches(name, known, 1, CLOSE)
        if close:
            detail = f"matches no hook point: did you mean {close[0]!r}?"
            problems.append(MethodProblem(cls.__name__, name, MISSPELLED, detail))
        elif _parameters(cls, name) is None:
            detail = "has no signature that can be read, so no hook point can call it."
            problems.append(MethodProblem(cls.__name__, name, NO_SIGNATURE, detail))
    return problems


# what MMCV's template hooks write for the points they do not use (the bytecode differs
# with a docstring: it takes the first constant)
def _empty(self: Any, runner: Any) -> None:
    pass


def _documented(self: Any, runner: Any) -> None:
    """A docstring only."""


def _does_nothing(method: Any) -> bool:
    """Whether ``method``'s body is only ``pass`` or a docstring (MMCV's hook template
    defines every generic point so): never calling it loses nothing."""
    code = getattr(getattr(method, "__func__", method), "__code__", None)
    return code is not None and code.co_code in (
        _empty.__code__.co_code,
        _documented.__code__.co_code,
    )


def problems_message(problems: Sequence[MethodProblem], entry: PluginEntry | None = None) -> str:
    """The problems of one hook class as one paragraph, with the fixes and the plugin
    entry point that offered the class (if any)."""
    source = ""
    if entry is not None:
        source = f" {problems[0].hook} comes from the {entry.where()}."
    dists = [entry.distribution] if entry is not None else []
    return f"{problems_text(problems)}{source} {fixes_text(problems, dists)}".strip()


def problems_text(problems: Iterable[MethodProblem]) -> str:
    """The problems, one sentence (or a few) each."""
    return " ".join(_sentence(str(p)) for p in problems)


def fixes_text(problems: Iterable[MethodProblem], distributions: Iterable[str] = ()) -> str:
    """How to fix ``problems`` beyond what each says, with the plugins (distribution
    names) whose hooks they are; '' if nothing to add."""
    text = ""
    if any(p.kind == MISSPELLED for p in problems):
        text += (
            "Rename a misspelled method to the hook point it implements, or prefix helper "
            "methods with '_' (public methods of a Hook are hook implementations)."
        )
    for dist in dict.fromkeys(distributions):
        text += (
            f" A plugin's hook is fixed in the plugin: report it to {dist}'s authors, or "
            f"uninstall it (`pip uninstall {dist}`)."
        )
    return text.strip()


def _sentence(text: str) -> str:
    return text if text.endswith((".", "?", "!")) else text + "."


def _parameters(cls: type, name: str) -> list[inspect.Parameter] | None:
    """The parameters a call on a hook passes to method ``name`` (``self`` left out);
    None for a callable without a readable signature."""
    try:
        attr = getattr(cls, name)
        params = list(inspect.signature(attr).parameters.values())
        raw = inspect.getattr_static(cls, name)
    except (AttributeError, TypeError, ValueError):
        return None
    bound = inspect.isfunction(attr) and not isinstance(raw, staticmethod)
    if bound and params and params[0].kind in _ORDINARY:
        params = params[1:]  # self
    return params


def runner_parameter(params: Sequence[inspect.Parameter], passed: Sequence[str]) -> str | None:
    """The name of the parameter that receives the runner when it is not called ``runner``.

    MMEngine passes the runner by position and the rest by keyword, so
    ``def after_train_iter(self, r, batch_idx, data_batch=None, outputs=None)``
    gets the runner in ``r``. That holds for the method's first parameter when
    the point passes ``runner`` first and the parameter is named after nothing
    the point passes (``params`` without ``self``); None otherwise.
    """
    if not params or not passed or passed[0] != "runner":
        return None
    first = params[0]
    if first.kind not in _ORDINARY or first.name in passed:
        return None
    if any(p.name == "runner" for p in params):
        return None
    return first.name


#: parameters read by :func:`signature_parameters`: function -> (its stamp, bound or not
#: -> parameters)
_PARAMETERS: weakref.WeakKeyDictionary[Any, tuple[tuple, dict[bool, list[inspect.Parameter]]]]
_PARAMETERS = weakref.WeakKeyDictionary()


def signature_parameters(method: Any) -> list[inspect.Parameter]:
    """``inspect.signature(method)``'s parameters, read once per version of a function.

    Registering a hook reads the signature of each of its point methods several
    times, and a notebook's Runners register instances of the same classes again
    and again: without this, reading signatures was most of a small run's set-up.
    Kept by the underlying function (a bound method's ``__func__``), weakly, so a
    class dropped with its Runner is not kept, and read again when the function
    changed in place (IPython's autoreload swaps ``__code__`` and the defaults).
    Other callables are read each time. Raises what ``inspect.signature`` raises
    for a callable without one (TypeError, ValueError).
    """
    function = getattr(method, "__func__", method)
    if not isinstance(function, types.FunctionType):
        return list(inspect.signature(method).parameters.values())
    bound = function is not method
    stamp = _stamp(function)
    kept = _PARAMETERS.get(function)
    if kept is None or len(kept[0]) != len(stamp) or any(map(operator.is_not, kept[0], stamp)):
        kept = (stamp, {})
        _PARAMETERS[function] = kept
    found = kept[1]
    if bound not in found:
        found[bound] = list(inspect.signature(method).parameters.values())
    return list(found[bound])


def _stamp(function: Any) -> tuple:
    """What ``inspect.signature`` reads of ``function`` and the functions it wraps,
    compared by identity (a default's own ``==`` may not give a truth value)."""
    stamp: list[Any] = []
    for _ in range(16):  # a chain of decorators (functools.wraps), not a loop
        stamp += [
            getattr(function, "__code__", None),
            getattr(function, "__defaults__", None),
            getattr(function, "__kwdefaults__", None),
            getattr(function, "__signature__", None),
        ]
        function = getattr(function, "__wrapped__", None)
        if function is None:
            break
        stamp.append(function)
    return tuple(stamp)


def runner_parameter_of(method: Any, passed: Sequence[str]) -> str | None:
    """:func:`runner_parameter` of a bound method or function (None without a signature)."""
    try:
        params = signature_parameters(method)
    except (TypeError, ValueError):
        return None
    return runner_parameter(params, passed)


def _argument_problems(cls: type, name: str, passed: tuple[str, ...]) -> list[MethodProblem]:
    """What keeps the arguments ``passed`` from reaching method ``name`` as it expects."""
    params = _parameters(cls, name)
    if params is None:  # pragma: no cover - exotic callables
        return []
    alias = runner_parameter(params, passed)
    if alias is not None:  # it takes the runner, by position as MMEngine passes it
        params = [params[0].replace(name="runner"), *params[1:]]
    hook = cls.__name__
    found = []
    keyword_only = inspect.Parameter.KEYWORD_ONLY
    # MMEngine calls a hook by keyword: a parameter with a default that the point does not
    # pass keeps its default there. Only a near-miss of a passed name (`output=None`) is a
    # mistake worth stopping for; a required one always is. So is a defaulted one in a method
    # that takes none of the point's data (`before_save_checkpoint(self, runner, ckpt=None)`):
    # it would be None on every call, where MMEngine's call fails on the keyword it passes.
    named = {p.name for p in params if p.kind in (*_ORDINARY, keyword_only)}
    data = [a for a in passed if a != "runner"]
    takes_none = bool(data) and not named & set(data)
    takes_none = takes_none and not any(p.kind is p.VAR_KEYWORD for p in params)
    unknown = [
        p.name
        for p in params
        if p.kind in (*_ORDINARY, keyword_only)
        and p.name not in passed
        and (p.default is p.empty or takes_none or did_you_mean(p.name, passed))
    ]
    if unknown:
        hints = "".join(did_you_mean(n, passed) for n in unknown)
        if takes_none and not hints:
            rename = (
                f"rename {unknown[0]} to {data[0]}"
                if len(unknown) == 1 and len(data) == 1
                else "name the ones it uses"
            )
            hints = (
                " It takes none of the point's arguments, so it would get its default on "
                f"every call (MMEngine's call, by keyword, fails on it): {rename}."
            )
        found.append(
            MethodProblem(
                hook,
                name,
                UNKNOWN_ARGUMENT,
                f"takes {', '.join(map(repr, unknown))}, which the hook point {name!r} does not "
                f"pass.{hints} It passes: {', '.join(passed)}; a hook method takes any of them "
                "by name (and may leave the others out).",
            )
        )
    # keyword-only parameters and **kwargs get their arguments by keyword, as in MMEngine
    star = next((p for p in params if p.kind is p.VAR_POSITIONAL), None)
    lost = [a for a in passed if a not in named]
    if star is not None and lost and not any(p.kind is p.VAR_KEYWORD for p in params):
        found.append(
            MethodProblem(
                hook,
                name,
                VAR_ARGUMENTS,
                f"takes *{star.name}, which receives nothing: a hook point passes arguments by "
                f"name, so {', '.join(lost)} never reach it (MMEngine's call, by keyword, fails "
                f"on it). Name the ones it uses: def {name}(self, {', '.join(passed)}), or take "
                "**kwargs.",
            )
        )
    return found


def hook_class_of(obj: Any) -> type | None:
    """The Hook subclass ``obj`` is, or is an instance of (None for anything else: a
    function that returns a hook cannot be checked without calling it)."""
    cls = obj if inspect.isclass(obj) else type(obj)
    return cls if issubclass(cls, Hook) else None
