"""HookManager: the Runner's hooks on pluggy, in priority order.

pluggy calls the implementations of a hook point last-registered-first, so the
manager keeps its own sorted list (priority, then registration order) and
re-registers the hooks in reverse of that order whenever one is added. The
cost is paid at set-up; a call per iteration is one dict lookup plus pluggy's
own dispatch, and a point no hook implements costs a lookup only.
The per-call path skips pluggy's generic machinery (wrappers, result
collection): it calls the implementations pluggy resolved, in pluggy's order,
directly (a measurable share of a small model's iteration otherwise).
"""

from __future__ import annotations

import difflib
import inspect
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pluggy

from ..errors import HookError
from . import specs
from .hook import BASE_ATTRIBUTES, Hook, get_priority

STANDARD_POINTS = specs.hook_point_names()


@dataclass
class _Entry:
    hook: Any
    priority: int
    seq: int
    role: str | None
    methods: tuple[str, ...] = field(default_factory=tuple)


def hook_methods(hook: Any) -> tuple[str, ...]:
    """The public methods of ``hook`` that implement hook points."""
    names = []
    for name in dir(type(hook)):
        if name.startswith("_") or name in BASE_ATTRIBUTES:
            continue
        attr = getattr(type(hook), name, None)
        if isinstance(attr, property) or not callable(attr):
            continue
        names.append(name)
    return tuple(names)


class _PluginManager(pluggy.PluginManager):
    """pluggy's manager, taught that a Hook's public methods are implementations."""

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        if isinstance(plugin, Hook):
            if name in getattr(plugin, "_runner_methods", ()):
                return {
                    "wrapper": False,
                    "hookwrapper": False,
                    "optionalhook": True,
                    "tryfirst": False,
                    "trylast": False,
                    "specname": None,
                }
            return None
        return super().parse_hookimpl_opts(plugin, name)


class HookManager:
    """Registers hooks, checks their method names and calls hook points."""

    def __init__(self) -> None:
        self._pm = _PluginManager(specs.PROJECT)
        self._pm.add_hookspecs(specs)
        self._entries: list[_Entry] = []
        self._seq = 0
        self._declared: dict[str, tuple[str, ...]] = {}
        self._callers: dict[str, tuple[Any, tuple[str, ...], Any]] = {}
        self._custom_uncalled: set[str] = set()
        #: ``points.<name>(runner, ...)``: the fastest way to call a standard hook
        #: point, arguments in the spec's order; a no-op when no hook implements it.
        self.points = _Points()

    # -- registration ---------------------------------------------------------------
    @property
    def hooks(self) -> list[Any]:
        """Registered hooks in call order."""
        return [e.hook for e in self._entries]

    def role_of(self, hook: Any) -> str | None:
        for e in self._entries:
            if e.hook is hook:
                return e.role
        return None

    def register(
        self, hook: Any, priority: int | str | None = None, role: str | None = None
    ) -> None:
        """Add ``hook``; ``priority`` overrides the hook's own ``priority``."""
        if not isinstance(hook, Hook):
            raise HookError(
                f"{hook!r} is not a Hook: hooks must subclass runner_core.hooks.Hook "
                f"(got {type(hook).__name__})."
            )
        prio = get_priority(priority if priority is not None else getattr(hook, "priority", None))
        hook.priority = prio
        methods = hook_methods(hook)
        hook._runner_methods = methods  # type: ignore[attr-defined]
        self._entries.append(_Entry(hook, prio, self._seq, role, methods))
        self._seq += 1
        self._entries.sort(key=lambda e: (e.priority, e.seq))
        self._reregister()

    def declare_points(self, points: Mapping[str, Iterable[str]] | Iterable[str]) -> None:
        """Declare extra hook points a custom loop calls (name -> argument names)."""
        if isinstance(points, Mapping):
            items = {k: tuple(v) for k, v in points.items()}
        else:
            items = {k: () for k in points}
        self._declared.update(items)
        self._rebuild_callers()

    def _reregister(self) -> None:
        for plugin in list(self._pm.get_plugins()):
            self._pm.unregister(plugin)
        for entry in reversed(self._entries):
            self._pm.register(entry.hook, name=f"{type(entry.hook).__name__}@{id(entry.hook):x}")
        self._rebuild_callers()

    def _rebuild_callers(self) -> None:
        callers: dict[str, tuple[Any, tuple[str, ...], Any]] = {}
        for name in {*STANDARD_POINTS, *self._declared, *self._custom_points()}:
            caller = getattr(self._pm.hook, name, None)
            if caller is None or not caller.get_hookimpls():
                continue
            if caller.spec is not None:
                argnames = tuple(caller.spec.argnames)
            else:
                wanted = dict.fromkeys(self._declared.get(name, ()))
                for impl in caller.get_hookimpls():
                    wanted.update(dict.fromkeys(impl.argnames))
                argnames = tuple(wanted)
            callers[name] = (caller, argnames, _compile_point(self, name, caller, argnames))
        self._callers = callers
        for name in STANDARD_POINTS:
            found = callers.get(name)
            setattr(self.points, name, found[2] if found is not None else _noop)

    def _custom_points(self) -> set[str]:
        known = set(STANDARD_POINTS)
        return {m for e in self._entries for m in e.methods if m not in known}

    # -- checks ---------------------------------------------------------------------
    def validate(self) -> None:
        """Fail on hook methods that look like misspelled hook points.

        A public method close to a known point (``afer_train_iter``) is an
        error; a distinct name is a custom point that some loop may call.
        Called by the Runner when a run starts, after loops declared theirs.
        """
        known = [*STANDARD_POINTS, *self._declared]
        problems = []
        for e in self._entries:
            for m in e.methods:
                if m in known:
                    continue
                close = difflib.get_close_matches(m, known, n=1, cutoff=0.85)
                if close:
                    role = f" (role {e.role!r})" if e.role else ""
                    problems.append(
                        f"{type(e.hook).__name__}{role}.{m}: did you mean {close[0]!r}?"
                    )
                else:
                    self._check_custom_signature(e.hook, m)
        if problems:
            raise HookError(
                "Hook methods that match no hook point: "
                + "; ".join(problems)
                + " Rename them to the hook point they implement, or prefix helper methods "
                "with '_' (public methods of a Hook are hook implementations)."
            )
        self._custom_uncalled = self._custom_points() - set(self._declared)

    def _check_custom_signature(self, hook: Any, name: str) -> None:
        fn = getattr(hook, name)
        try:
            inspect.signature(fn)
        except (TypeError, ValueError) as exc:  # pragma: no cover - exotic callables
            raise HookError(f"{type(hook).__name__}.{name} has no usable signature.") from exc

    def uncalled_custom_points(self) -> set[str]:
        """Custom points some hook implements but no loop called (so far)."""
        return set(self._custom_uncalled)

    def warn_uncalled(self) -> None:
        if self._custom_uncalled:
            warnings.warn(
                "These hook methods were never called because no loop calls a hook point "
                f"of that name: {', '.join(sorted(self._custom_uncalled))}. Check the spelling, "
                "or make your loop call them with runner.call_hooks(...).",
                stacklevel=2,
            )

    # -- dispatch -------------------------------------------------------------------
    def has(self, name: str) -> bool:
        """True if some registered hook implements ``name``."""
        return name in self._callers

    def call(self, name: str, kwargs: dict[str, Any]) -> None:
        """Call hook point ``name``; arguments the caller omitted arrive as None."""
        found = self._callers.get(name)
        if found is None:
            if name in self._custom_uncalled:
                self._custom_uncalled.discard(name)
            return
        caller, argnames, fire = found
        if self._custom_uncalled and name in self._custom_uncalled:
            self._custom_uncalled.discard(name)
        fire(**kwargs)

    def _annotate(self, exc: BaseException, name: str) -> None:
        """Name the hook, its role and the hook point on an exception (traceback kept)."""
        hook = _culprit(exc, self.hooks)
        if hook is not None and not getattr(exc, "_runner_annotated", False):
            role = self.role_of(hook)
            role_txt = f", role {role!r}" if role else ""
            exc.add_note(
                f"Raised by hook {type(hook).__name__} (at hook point {name!r}{role_txt})."
            )
            try:
                exc._runner_annotated = True  # type: ignore[attr-defined]
            except AttributeError:  # pragma: no cover - exotic exception types
                pass

    def order_table(self) -> str:
        """Per hook point, the hooks in the order they run (logged at start)."""
        lines = []
        for name in [*STANDARD_POINTS, *sorted(self._declared), *sorted(self._custom_points())]:
            hooks = [e for e in self._entries if name in e.methods]
            if hooks:
                lines.append(f"{name}:")
                lines += [f"  ({e.priority:<3}) {type(e.hook).__name__}" for e in hooks]
        return "\n".join(lines)


class _Points:
    """Attribute per standard hook point (see ``HookManager.points``)."""


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _compile_point(manager: HookManager, name: str, caller: Any, argnames: tuple[str, ...]) -> Any:
    """A plain function that calls every implementation of ``name`` directly.

    pluggy resolves the implementations and their order; the generated
    function then calls them one after another with exactly the arguments each
    one takes, so dispatch costs what the calls themselves cost. Arguments not
    given default to None. Wrapper implementations or a first-result spec use
    pluggy's own call instead.
    """
    impls = caller.get_hookimpls()
    spec_opts = caller.spec.opts if caller.spec is not None else {}
    params = ", ".join(f"{a}=None" for a in argnames)
    if spec_opts.get("firstresult") or any(i.wrapper or i.hookwrapper for i in impls):
        namespace: dict[str, Any] = {"_caller": caller}
        body = [f"    _caller({', '.join(f'{a}={a}' for a in argnames)})"]
    else:
        namespace = {}
        body = []
        for n, impl in enumerate(reversed(impls)):  # pluggy calls the last registered first
            namespace[f"_f{n}"] = impl.function
            args = [a for a in impl.argnames]
            kwargs = [f"{k}={k}" for k in (getattr(impl, "kwargnames", ()) or ()) if k in argnames]
            body.append(f"    _f{n}({', '.join([*args, *kwargs])})")
    namespace.update(_annotate=manager._annotate, _name=name)
    source = (
        f"def fire({params}{', ' if params else ''}**_extra):\n"
        "  try:\n" + "\n".join("  " + line for line in body) + "\n"
        "  except Exception as exc:\n"
        "    _annotate(exc, _name)\n"
        "    raise\n"
    )
    exec(compile(source, f"<hook point {name}>", "exec"), namespace)
    fire = namespace["fire"]
    fire.__qualname__ = fire.__name__ = name
    return fire


def _culprit(exc: BaseException, hooks: list[Any]) -> Any:
    """The innermost registered hook whose method is on the traceback."""
    ids = {id(h): h for h in hooks}
    found = None
    tb = exc.__traceback__
    while tb is not None:
        candidate = tb.tb_frame.f_locals.get("self")
        if candidate is not None and id(candidate) in ids:
            found = ids[id(candidate)]
        tb = tb.tb_next
    return found
