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

import contextlib
import difflib
import functools
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import pluggy

from ..errors import HookError, HookTypeError, add_note, did_you_mean
from . import specs
from .hook import EXTRA_STAGES, Hook, Priority, get_priority
from .method_checks import (
    MISSPELLED,
    MethodProblem,
    check_hook_class,
    custom_methods,
    point_arguments,
    runner_parameter_of,
    signature_parameters,
)

STANDARD_POINTS = specs.hook_point_names()
#: Points called while an error is on its way out: each hook on its own, so that one
#: hook's failure there neither hides that error nor skips the other hooks.
ISOLATED_POINTS = frozenset({"on_exception"})


@dataclass
class _Entry:
    hook: Hook
    priority: int
    seq: int
    role: str | None
    methods: tuple[str, ...] = field(default_factory=tuple)
    #: the hook's point attributes when it was (re)registered (see ``_fingerprint``)
    fingerprint: tuple[tuple[int, int], ...] = ()


def hook_methods(hook: Hook) -> tuple[str, ...]:
    """The hook points ``hook`` implements: the standard points its class
    overrides (:meth:`Hook.get_triggered_stages`), those its instance was given
    (a ``MagicMock``, as MMEngine's tests set), and its other public methods
    (custom points)."""
    import inspect

    stages = hook.get_triggered_stages()
    own = getattr(hook, "__dict__", {})
    cls = type(hook)
    extra = [  # a Mock on the instance, or on a base class (mock.patch.object(Hook, ...))
        n
        for n in STANDARD_POINTS
        if n not in stages
        and (callable(own.get(n)) or _not_a_function(inspect.getattr_static(cls, n, None)))
    ]
    return (*stages, *extra, *custom_methods(cls))


def _not_a_function(value: Any) -> bool:
    """A callable standing where a method belongs that pluggy cannot take as one (a
    ``MagicMock``, a ``functools.partial``, or a ``functools.partialmethod`` on the class,
    which binds to a partial)."""
    import functools
    import inspect
    import types

    if isinstance(value, functools.partialmethod):
        return True
    return callable(value) and not (
        inspect.isfunction(value)
        or isinstance(value, (types.MethodType, staticmethod, classmethod))
    )


def _fingerprint(hook: Hook) -> tuple[tuple[int, int], ...]:
    """What the hook's point attributes are now, on the instance and on its class: it
    changes when one is replaced (``mock.patch.object``, a test's spy)."""
    import inspect

    own = getattr(hook, "__dict__", {})
    cls = type(hook)
    names = [*STANDARD_POINTS, *custom_methods(cls)]  # a custom point is patched too
    return tuple((id(own.get(n)), id(inspect.getattr_static(cls, n, None))) for n in names)


def _unhookable(hook: Hook, names: Iterable[str]) -> list[str]:
    """The points whose attribute, the instance's own or else its class's, is a callable
    pluggy cannot take (see :func:`_not_a_function`)."""
    import inspect

    own = getattr(hook, "__dict__", {})
    found = []
    for name in names:
        value = own.get(name)
        if value is None:
            value = inspect.getattr_static(type(hook), name, None)
        if _not_a_function(value):
            found.append(name)
    return found


@contextlib.contextmanager
def _forwarding(hook: Hook, names: list[str]) -> Iterator[None]:
    """While pluggy registers ``hook``: a plain function stands on the instance for each
    of ``names``, calling the attribute as it is at call time as MMEngine does (the runner
    by position, the rest by keyword); the hook's own attributes are put back after."""
    if not names:
        yield
        return
    own = vars(hook)
    saved = {n: own[n] for n in names if n in own}
    for name in names:
        own[name] = _forwarder(hook, name)
    try:
        yield
    finally:
        for name in names:
            if name in saved:
                own[name] = saved[name]
            else:
                own.pop(name, None)


def _forwarder(hook: Hook, name: str) -> Callable[..., Any]:
    if name not in STANDARD_POINTS:  # a custom point: its caller names the arguments

        def forward(runner: Any, **kwargs: Any) -> Any:
            return getattr(hook, name)(runner, **kwargs)

        forward.__name__ = forward.__qualname__ = name
        return forward
    args = _spec_args(name)
    params = ", ".join(a if a == "runner" else f"{a}=None" for a in args)
    passed = ", ".join("runner" if a == "runner" else f"{a}={a}" for a in args)
    source = f"def {name}({params}):\n    return __getattr(__hook, {name!r})({passed})\n"
    namespace: dict[str, Any] = {"__getattr": getattr, "__hook": hook}
    exec(compile(source, f"<{type(hook).__name__}.{name}: looked up per call>", "exec"), namespace)
    compiled: Callable[..., Any] = namespace[name]
    return compiled


class _PluginManager(pluggy.PluginManager):
    """pluggy's manager, taught which methods of a Hook are implementations."""

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        #: id(hook) -> the hook points it implements (see ``hook_methods``)
        self.implemented: dict[int, tuple[str, ...]] = {}

    def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
        if isinstance(plugin, Hook):
            if name in self.implemented.get(id(plugin), ()):
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


class HookManager(Sequence[Hook]):
    """The Runner's hooks: a read-only sequence in call order (``runner.hooks``).

    Iterate it, index it, take its ``len`` like MMEngine's ``runner.hooks``
    list; add hooks with :meth:`register` (``runner.register_hook``). It
    also checks hook method names and dispatches hook points: ``points``
    holds one plain function per standard point for the loops' fast path.
    """

    def __init__(self) -> None:
        self._pm = _PluginManager(specs.PROJECT)
        self._pm.add_hookspecs(specs)
        self._entries: list[_Entry] = []
        self._seq = 0
        # inside batch(): pluggy's order and the callers are rebuilt once, at its end
        self._batch_depth = 0
        self._declared: dict[str, tuple[str, ...]] = {}
        #: point a hook implements -> the function that calls its hooks (None: every one
        #: of them is idle)
        self._callers: dict[str, Callable[..., None] | None] = {}
        self._custom_uncalled: set[str] = set()
        self._armed: set[str] = set()
        self._armed_action: Callable[[], None] = _noop
        #: id(hook) -> the points it named in ``Hook.idle_points`` for this training run
        self._idle: dict[int, frozenset[str]] = {}
        #: ids of idle hooks to call again from the next point on (:meth:`wake_soon`)
        self._waking: set[int] = set()
        #: :meth:`call` dispatches in progress, and what :meth:`after_point` deferred
        self._calling = 0
        self._deferred: list[Callable[[], object]] = []
        #: point name -> what :meth:`watch` runs before and after each :meth:`call` of it
        self._watches: dict[str, tuple[list[Callable[[], object]], list[Callable[[], object]]]] = {}
        # the point CallHookPoints is calling: its next call() runs no watch, as the fast path
        self._unwatched_next: str | None = None
        #: ``points.<name>(runner, ...)``: the fastest way to call a standard hook
        #: point, arguments in the spec's order; a no-op when no hook implements it.
        self.points = HookPoints()
        self._apply_points()  # every point a no-op until a hook implements it

    # -- the sequence of hooks ------------------------------------------------------
    @overload
    def __getitem__(self, index: int) -> Hook: ...

    @overload
    def __getitem__(self, index: slice) -> list[Hook]: ...

    def __getitem__(self, index: int | slice) -> Hook | list[Hook]:
        if isinstance(index, slice):
            return [e.hook for e in self._entries[index]]
        return self._entries[index].hook

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[Hook]:
        return iter([e.hook for e in self._entries])

    def __repr__(self) -> str:
        return f"HookManager({[e.hook for e in self._entries]!r})"

    # -- registration ---------------------------------------------------------------
    def role_of(self, hook: Hook) -> str | None:
        """The ``default_hooks`` role ``hook`` was registered under (None for custom hooks)."""
        for e in self._entries:
            if e.hook is hook:
                return e.role
        return None

    def register(
        self, hook: Hook, priority: int | str | None = None, role: str | None = None
    ) -> None:
        """Add ``hook`` after the hooks of equal priority; ``priority`` (a name,
        a :class:`Priority` or an int) overrides and replaces the hook's own."""
        if isinstance(hook, type) and issubclass(hook, Hook):  # the class, not a hook
            raise HookTypeError(
                f"{hook.__name__} is given as the class, not a hook: register an instance "
                f"({hook.__name__}(...)), or write dict(type={hook.__name__!r}, ...) in "
                "custom_hooks."
            )
        if not isinstance(hook, Hook):
            raise HookTypeError(
                f"{hook!r} is not a Hook: hooks must subclass runner_core.hooks.Hook "
                f"(got {type(hook).__name__})."
            )
        if any(e.hook is hook for e in self._entries):
            role_txt = f" (role {role!r})" if role else ""
            raise HookError(
                f"{hook!r}{role_txt} is registered already: each hook object is registered "
                "once and runs once per hook point (MMEngine's list would call it twice). "
                "To run the same hook twice, register a second object: copy.copy(hook)."
            )
        given = priority if priority is not None else getattr(hook, "priority", None)
        try:
            prio = get_priority(given)
        except HookError as exc:  # say which hook: a config may list many
            role_txt = f" (role {role!r})" if role else ""
            raise type(exc)(f"{type(hook).__name__}{role_txt}: {exc}") from None
        methods = hook_methods(hook)
        mocked = _unhookable(hook, methods)  # what a Mock takes is not checked, as MMEngine
        standard = [name for name in methods if name in STANDARD_POINTS and name not in mocked]
        wrong = check_hook_class(type(hook), methods=standard)
        if wrong:  # a parameter the point cannot fill would get None or nothing, silently
            # the Runner names a custom hook's config key itself (custom_hooks[i])
            raise _problems_error(wrong)(
                _problems_text([(hook, role, wrong)], key=role is not None)
            )
        if priority is not None:  # only once valid: a refused hook is left as it was
            hook.priority = priority  # kept as given, as MMEngine does ('LOW' stays 'LOW')
        entry = _Entry(hook, prio, self._seq, role)
        self._take_methods(entry)
        self._entries.append(entry)
        self._seq += 1
        self._entries.sort(key=lambda e: (e.priority, e.seq))
        try:
            if self._batch_depth:
                # pluggy validates this hook alone now; order and callers are rebuilt at batch()'s end
                self._pm_register(entry)
            else:
                self._reregister()
        except Exception:  # pluggy refused it: the manager goes on without it
            self._entries.remove(entry)
            self._pm.implemented.pop(id(hook), None)
            if not self._batch_depth:
                self._reregister()
            raise

    def keep_only(self, hooks: list[Any]) -> None:
        """Make ``hooks`` the registered hooks (``runner._hooks = [...]``, MMEngine code
        filtering its list): the others are removed, new ones registered at their own
        priority. They run in priority order, whatever the list's order."""
        for hook in hooks:
            if not isinstance(hook, Hook):
                raise HookTypeError(
                    f"runner._hooks = [...] holds {hook!r}, which is not a Hook; give the "
                    "hooks to keep (objects of runner.hooks, or new Hook objects)."
                )
        keep = {id(hook) for hook in hooks}
        with self.batch():
            for hook in [e.hook for e in self._entries if id(e.hook) not in keep]:
                self.remove(hook)
            known = {id(e.hook) for e in self._entries}
            for hook in hooks:
                if id(hook) not in known:
                    self.register(hook)
                    known.add(id(hook))

    def pop(self, index: int = -1) -> Hook:
        """Unregister and return the hook at ``index`` in call order (MMEngine's list)."""
        hook = self[index]
        self.remove(hook)
        return hook

    def __delitem__(self, index: int | slice) -> None:
        for hook in self[index] if isinstance(index, slice) else [self[index]]:
            self.remove(hook)

    def append(self, hook: Any) -> None:
        """Refused: the hooks run in priority order, not in the order of a list."""
        raise _not_a_list("append")

    def insert(self, index: int, hook: Any) -> None:
        """Refused, as :meth:`append`."""
        raise _not_a_list("insert")

    def extend(self, hooks: Any) -> None:
        """Refused, as :meth:`append`."""
        raise _not_a_list("extend")

    def remove(self, hook: Hook) -> None:
        """Unregister ``hook`` (``runner._hooks.remove(hook)``, as code written for
        MMEngine's list of hooks does: mmrazor's subnet loop drops the CheckpointHook).
        A ``ValueError`` when it is not registered, as ``list.remove``'s."""
        for entry in self._entries:
            if entry.hook is hook:
                break
        else:
            raise ValueError(f"{hook!r} is not a registered hook")
        self._entries.remove(entry)
        self._pm.implemented.pop(id(hook), None)
        self._idle.pop(id(hook), None)
        self._waking.discard(id(hook))
        if not self._batch_depth:
            self._reregister()

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        """Register many hooks with one rebuild of the callers (O(hooks), not O(hooks^2))."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if not self._batch_depth:
                self._reregister()

    def declare_points(self, points: Mapping[str, Iterable[str]] | Iterable[str]) -> None:
        """Declare extra hook points a custom loop calls (name -> argument names)."""
        if isinstance(points, Mapping):
            items = {k: tuple(v) for k, v in points.items()}
        else:
            items = {k: () for k in points}
        for name, args in items.items():
            if name not in STANDARD_POINTS or not args:
                continue
            wanted = _spec_args(name)
            if set(args) != set(wanted):
                raise HookError(
                    f"A loop declares the standard hook point {name!r} with the arguments "
                    f"({', '.join(args)}), but the standard point passes "
                    f"({', '.join(wanted)}): leave standard points out of "
                    "hook_points, or give the custom point a name of its own."
                )
        self._declared.update(items)
        self._rebuild_callers()

    def _take_methods(self, entry: _Entry) -> None:
        """Read which points ``entry``'s hook implements, with what (again after a change)."""
        hook = entry.hook
        entry.methods = hook_methods(hook)
        unhookable = set(_unhookable(hook, entry.methods))
        for name in entry.methods:
            if name in STANDARD_POINTS and name not in unhookable:
                _take_runner_by_position(hook, name)
        self._pm.implemented[id(hook)] = entry.methods
        entry.fingerprint = _fingerprint(hook)

    def _pm_register(self, entry: _Entry) -> None:
        hook = entry.hook
        with _forwarding(hook, _unhookable(hook, entry.methods)):
            self._pm.register(hook, name=_plugin_name(hook))

    def refresh(self) -> None:
        """Take up hook methods replaced since their hooks were registered.

        MMEngine looks a hook's method up at every call, so a test may
        ``mock.patch.object`` a hook class, or set a ``MagicMock`` on a hook,
        after ``register_hook``. The Runner calls this as each run call starts:
        those replacements are the methods called from then on, and a run's
        iterations pay nothing for it.
        """
        changed = False
        for entry in self._entries:
            if _fingerprint(entry.hook) == entry.fingerprint:
                continue
            changed = True
            own = vars(entry.hook)
            for name in [n for n, v in own.items() if getattr(v, "_runner_by_position", 0) is True]:
                del own[name]  # made for the method replaced: made again below if needed
            self._take_methods(entry)
        if changed:
            self._reregister()

    def _reregister(self) -> None:
        for plugin in list(self._pm.get_plugins()):
            self._pm.unregister(plugin)
        for entry in reversed(self._entries):
            self._pm_register(entry)
        self._rebuild_callers()

    def _rebuild_callers(self) -> None:
        callers: dict[str, Callable[..., None] | None] = {}
        for name in self._all_points():
            caller = getattr(self._pm.hook, name, None)
            if caller is None or not caller.get_hookimpls():
                continue
            # a custom point (no spec) takes whatever its caller names: None
            argnames = tuple(caller.spec.argnames) if caller.spec is not None else None
            impls = caller.get_hookimpls()
            idle = [i.plugin for i in impls if name in self._idle.get(id(i.plugin), ())]
            if idle:  # those hooks are left out of this point (Hook.idle_points)
                caller = self._pm.subset_hook_caller(name, idle)
                impls = caller.get_hookimpls()
            if not impls:
                fire = None
            elif argnames is None:
                # runner.call_hook(name, ...): each hook gets the arguments it takes, a
                # **kwargs hook all of them
                fire = _open_point(self, name, impls)
            elif name in ISOLATED_POINTS:
                fire = _isolated_point(name, impls, argnames)
            else:
                fire = _compile_point(self, name, caller, impls, argnames)
            callers[name] = fire
        self._callers = callers
        self._apply_points()

    def _apply_points(self) -> None:
        for name in STANDARD_POINTS:
            fire = self._callers.get(name)
            if fire is None:  # no hook implements it, or every one that does is idle
                fire = _IDLE_POINTS[name]
            elif name not in _PER_ITERATION:
                # after_point defers to the end of the point here too (a val loop of one's
                # own calling after_val_epoch this way); the per-iteration points pay nothing
                fire = functools.partial(self._deferring, fire)
            if name in self._armed:
                fire = _fire_first(self._fire_armed, fire)
            setattr(self.points, name, fire)
        if self._waking:  # a wake asked for while the points were being replaced
            self._swap_in_waking()

    def _all_points(self) -> set[str]:
        """Standard, loop-declared and custom points: every name a hook may implement."""
        return {*STANDARD_POINTS, *self._declared, *self._custom_points()}

    def _custom_points(self) -> set[str]:
        known = set(STANDARD_POINTS)
        return {m for e in self._entries for m in e.methods if m not in known}

    # -- checks ---------------------------------------------------------------------
    def validate(self) -> None:
        """Fail on hook methods that no hook point would call as written.

        A public method close to a known point (``afer_train_iter``) is an
        error; a distinct name is a custom point that some loop may call. The
        methods of loop-declared points are checked against the arguments the
        loop passes (see :func:`~runner_core.hooks.method_checks.check_hook_class`).
        Called by the Runner when a run starts, after loops declared theirs:
        the error names each hook's config key and plugin, where known.
        """
        found = []
        for e in self._entries:
            mocked = _unhookable(e.hook, e.methods)
            methods = [m for m in e.methods if m not in mocked]
            wrong = check_hook_class(type(e.hook), self._declared, methods)
            if wrong:
                found.append((e.hook, e.role, wrong))
        if found:
            intro = "Hook methods that no hook point calls as written (found as the run starts): "
            raise _problems_error([p for _, _, wrong in found for p in wrong])(
                _problems_text(found, key=True, intro=intro)
            )
        # a helper method (mmdet's MeanTeacherHook.momentum_update) is no point: only names
        # that look like one are reported if no loop calls them
        known = [*STANDARD_POINTS, *self._declared]
        self._custom_uncalled = {
            m for m in self._custom_points() - set(self._declared) if _looks_like_point(m, known)
        }

    def uncalled_custom_points(self) -> set[str]:
        """Custom points that look like hook points (see :func:`_looks_like_point`), some
        hook implements them, and no loop called them (so far)."""
        return set(self._custom_uncalled)

    def warn_uncalled(self) -> None:
        if self._custom_uncalled:
            uncalled = self._custom_uncalled
            named = {
                f"{type(e.hook).__name__}.{m}"
                for e in self._entries
                for m in e.methods
                if m in uncalled
            }
            warnings.warn(
                "These hook methods were never called because no loop calls a hook point "
                f"of that name: {', '.join(sorted(named))}. Check the spelling, "
                "or make your loop call them with runner.call_hook(...).",
                stacklevel=2,
            )

    # -- one-shot actions ---------------------------------------------------------------
    def once_before(self, names: Iterable[str], action: Callable[[], None]) -> None:
        """Run ``action`` once, right before the first of the standard points
        ``names`` is called (through ``points`` or :meth:`call`); then the
        points are plain again, so nothing is paid per call afterwards.

        The Runner hands a resumed run its random streams this way (see
        :class:`runner_core.runner.resume.ResumeState`).
        """
        self._armed = set(names)
        self._armed_action = action
        self._apply_points()

    def _fire_armed(self) -> None:
        action = self._armed_action
        self._armed, self._armed_action = set(), _noop
        self._apply_points()
        action()

    # -- idle points ----------------------------------------------------------------
    def settle_idle(self, runner: Any) -> None:
        """Ask every hook for its :meth:`Hook.idle_points` and leave it out of those.

        Called right after ``before_train``; :meth:`wake_idle` undoes it.
        """
        idle: dict[int, frozenset[str]] = {}
        # a point a hook does not implement has nothing to leave out; a name that is no
        # hook point at all is a typo that would leave the real point running
        points = self._all_points()
        for entry in self._entries:
            try:
                given = entry.hook.idle_points(runner)
            except Exception as exc:
                self._annotate(exc, "idle_points")
                raise
            # a str is a Collection[str] too: 'after_train_iter' is one name, not its letters
            names = frozenset((given,) if isinstance(given, str) else given)
            unknown = sorted(names - points)
            if unknown:
                from ..errors import did_you_mean

                raise HookError(
                    f"{type(entry.hook).__name__}.idle_points() names {unknown}, which is no "
                    f"hook point.{did_you_mean(unknown[0], sorted(points))} It implements: "
                    f"{', '.join(entry.methods)}."
                )
            names &= set(entry.methods)
            if names:
                idle[id(entry.hook)] = names
        if idle != self._idle:
            self._idle = idle
            self._rebuild_callers()

    def wake_idle(self) -> None:
        """Call every hook at every point it implements again (after training)."""
        self._waking = set()
        if self._idle:
            self._idle = {}
            self._rebuild_callers()

    def wake_soon(self, hook: Hook) -> None:
        """Call ``hook`` again at the points it named idle, from the next point called on.

        For a hook that sleeps until something happens outside the loop, such
        as a signal: this is safe in a signal handler. It only notes the hook
        and swaps in points that wake it first, so nothing is rebuilt in the
        middle of another call; the next point called (through ``points`` or
        :meth:`call`) rebuilds and then runs with the hook in it.
        """
        self._waking.add(id(hook))
        self._swap_in_waking()

    def _swap_in_waking(self) -> None:
        for name in STANDARD_POINTS:
            setattr(self.points, name, _wake_first(self, name))

    def _wake_now(self) -> None:
        # a snapshot, removed in place: a wake asked for meanwhile stays asked for
        waking = set(self._waking)
        self._idle = {key: names for key, names in self._idle.items() if key not in waking}
        self._waking -= waking
        self._rebuild_callers()

    def idle_table(self) -> dict[str, list[str]]:
        """Hook class name -> the points it is left out of now (for debugging and tests)."""
        return {
            type(e.hook).__name__: sorted(self._idle[id(e.hook)])
            for e in self._entries
            if id(e.hook) in self._idle
        }

    def after_point(self, action: Callable[[], object]) -> None:
        """Run ``action`` once the point being dispatched (by :meth:`call`, or the fast
        ``points`` of a point other than a per-iteration one) has reached every hook, or
        at once when none is.

        For work that other hooks must see with their own set-up for the point
        done: a hook's ``before_train`` that validates (a resumed run's missed
        validation) would otherwise reach hooks of lower priority before their
        ``before_train``. If the point raises, the actions are dropped.
        """
        if self._calling:
            self._deferred.append(action)
        else:
            action()

    def watch(
        self,
        name: str,
        *,
        before: Callable[[], object] | None = None,
        after: Callable[[], object] | None = None,
    ) -> None:
        """Run ``before`` right before, and ``after`` right after, every :meth:`call` of
        point ``name``, whether hooks implement it or not (``after`` not if it raised).

        For the Runner's own bookkeeping of run-level points (``before_run`` and
        ``after_run`` mark when hooks are set up), wherever they are called from:
        its run methods, or a script calling ``runner.call_hook('before_run')``.
        ``points`` never runs them, so the loops' fast path pays nothing.
        """
        befores, afters = self._watches.setdefault(name, ([], []))
        if before is not None:
            befores.append(before)
        if after is not None:
            afters.append(after)

    # -- dispatch -------------------------------------------------------------------
    def has(self, name: str) -> bool:
        """True if some registered hook implements ``name``."""
        return name in self._callers

    def call(self, name: str, kwargs: dict[str, Any]) -> None:
        """Call hook point ``name``; arguments the caller omitted arrive as None, except
        those a custom point's hook method requires (HookTypeError).

        Right after ``before_train`` the hooks' :meth:`Hook.idle_points` are
        settled; after ``after_train`` every point is called again. What
        :meth:`watch` set up for ``name`` runs around the hooks.
        """
        if self._unwatched_next == name:  # the loops' fast path, through an override
            self._unwatched_next = None
            watches = None
        else:
            watches = self._watches.get(name)
        if watches is not None:
            for action in watches[0]:
                action()
        self._deferring(self._dispatch, name, kwargs)
        if watches is not None:
            for action in watches[1]:
                action()

    def _deferring(self, fire: Callable[..., object], *args: Any, **kwargs: Any) -> None:
        """``fire(...)`` as one dispatch: what :meth:`after_point` asked for during it runs
        once it has reached every hook (dropped if it raised)."""
        self._calling += 1
        try:
            fire(*args, **kwargs)
        except BaseException:
            if self._calling == 1:
                self._deferred.clear()
            raise
        finally:
            self._calling -= 1
        if self._deferred and not self._calling:
            actions, self._deferred = self._deferred, []
            for action in actions:
                action()

    def _dispatch(self, name: str, kwargs: dict[str, Any]) -> None:
        if self._waking:
            self._wake_now()
        if self._armed and name in self._armed:
            self._fire_armed()
        declared = self._declared.get(name)
        if declared:
            extra = sorted(k for k in kwargs if k != "runner" and k not in declared)
            if extra:
                raise HookError(
                    f"Hook point {name!r} is declared by a loop's hook_points with the "
                    f"arguments ({', '.join(declared)}), but was called with "
                    f"{', '.join(map(repr, extra))}, which hooks implementing it would never "
                    "receive. Make the loop's call_hook(...) and its hook_points declaration "
                    "name the same arguments."
                )
        takes = _STANDARD_ARGUMENTS.get(name)
        if takes is not None and not takes.issuperset(kwargs):
            raise _not_taken(name, kwargs, takes)
        if name in self._callers:
            fire = self._callers[name]
            if self._custom_uncalled and name in self._custom_uncalled:
                self._custom_uncalled.discard(name)
            if fire is not None:
                fire(**kwargs)
        elif name in self._custom_uncalled:
            self._custom_uncalled.discard(name)
        if name == "before_train":
            self.settle_idle(kwargs.get("runner"))
        elif name == "after_train":
            self.wake_idle()

    def _annotate(
        self, exc: BaseException, name: str, runner: Any = None, batch_idx: Any = None
    ) -> None:
        """Name the hook, its role, the hook point and (when the point has one) the run's
        position on an exception (traceback kept)."""
        hook = _culprit(exc, [e.hook for e in self._entries])
        if hook is not None and not getattr(exc, "_runner_annotated", False):
            role = self.role_of(hook)
            role_txt = f", role {role!r}" if role else ""
            add_note(
                exc,
                f"Raised by hook {type(hook).__name__} (at hook point {name!r}{role_txt}"
                f"{_position(name, runner, batch_idx)}).",
            )
            try:
                exc._runner_annotated = True  # type: ignore[attr-defined]
            except AttributeError:  # pragma: no cover - exotic exception types
                pass

    def order_table(self) -> str:
        """Per hook point, the hooks in the order they run (logged at start).

        MMEngine's ``get_hooks_info`` text, line for line (scripts compare
        it): standard points in the order a run reaches them
        (``Hook.stages``), then ``on_exception``, then declared and custom
        points by name.
        """
        blocks = []
        names = [*Hook.stages, *EXTRA_STAGES, *sorted(self._declared)]
        for name in [*names, *sorted(self._custom_points())]:
            rows = [
                f"({_priority_label(e):<12}) {type(e.hook).__name__:<35}"
                for e in self._entries
                if name in e.methods
            ]
            if rows:
                blocks.append(f"{name}:\n" + "\n".join(rows) + "\n -------------------- ")
        return "\n".join(blocks)


def _priority_label(entry: _Entry) -> str:
    """The hook's priority as MMEngine's table shows it: the level's name for a level's
    number or member (``NORMAL`` for 50), anything else as the hook holds it (``'low'``, 55)."""
    shown = getattr(entry.hook, "priority", entry.priority)
    try:
        return Priority(shown).name
    except ValueError:
        return str(shown)


class HookPoints:
    """One plain function per standard hook point (``runner.hook_points``).

    Call them with the spec's arguments in the spec's order, e.g.
    ``points.after_train_iter(runner, batch_idx, data_batch, outputs)``; a
    point no hook implements is a no-op. The functions are rebuilt when a
    hook is registered, so look the attribute up each time you call it.
    """

    before_run: Callable[..., None]
    after_run: Callable[..., None]
    before_save_checkpoint: Callable[..., None]
    after_load_checkpoint: Callable[..., None]
    before_train: Callable[..., None]
    after_train: Callable[..., None]
    before_train_epoch: Callable[..., None]
    after_train_epoch: Callable[..., None]
    before_train_iter: Callable[..., None]
    after_train_iter: Callable[..., None]
    before_val: Callable[..., None]
    after_val: Callable[..., None]
    before_val_epoch: Callable[..., None]
    after_val_epoch: Callable[..., None]
    before_val_iter: Callable[..., None]
    after_val_iter: Callable[..., None]
    before_test: Callable[..., None]
    after_test: Callable[..., None]
    before_test_epoch: Callable[..., None]
    after_test_epoch: Callable[..., None]
    before_test_iter: Callable[..., None]
    after_test_iter: Callable[..., None]
    on_exception: Callable[..., None]


def _not_a_list(method: str) -> HookError:
    return HookError(
        f"runner.hooks.{method}(...) (MMEngine's list of hooks): the hooks here run in "
        "priority order, not in the order of a list. Use runner.register_hook(hook, "
        "priority=...) to add one ('HIGHEST' ... 'LOWEST', or a number); remove(hook), "
        "pop() and del work as on the list."
    )


class CallHookPoints:
    """``runner.hook_points`` of a Runner whose class overrides ``call_hook``.

    Subclasses written for MMEngine override ``call_hook`` to trace, time or
    guard every hook call; the loops' fast path would go around it. Each point
    here is a call of that ``call_hook``, with the spec's arguments by name.
    """

    def __init__(self, manager: HookManager) -> None:
        self._manager = manager

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name not in _STANDARD_ARGUMENTS:
            raise AttributeError(f"{name!r} is not a standard hook point")
        names = _spec_args(name)[1:]  # call_hook passes the runner itself
        manager = self._manager

        def point(runner: Any, *args: Any) -> None:
            # what watches a loop's own call_hook calls (HookManager.watch) does not watch
            # the fast path's: the override sees the point, the watches do not
            outer, manager._unwatched_next = manager._unwatched_next, name
            try:  # looked up now: a patched call_hook (mock.patch.object) sees it too
                runner.call_hook(name, **dict(zip(names, args)))
            finally:
                manager._unwatched_next = outer

        setattr(self, name, point)  # made once per point
        return point


def _noop(*args: Any, **kwargs: Any) -> None:
    return None


def _spec_args(name: str) -> tuple[str, ...]:
    """The parameters of the standard point ``name``, as its spec declares them."""
    code = getattr(specs, name).__code__
    return tuple(code.co_varnames[: code.co_argcount])


#: standard point -> the arguments it passes (what ``call`` checks a call's keywords against)
_STANDARD_ARGUMENTS = {name: frozenset(_spec_args(name)) for name in STANDARD_POINTS}


def _not_taken(name: str, given: Mapping[str, Any], takes: frozenset[str]) -> HookTypeError:
    """``call_hook(name, output=...)``: MMEngine's hooks raise TypeError on an argument their
    point does not take; dropped, it would hand every hook None in its place."""
    order = _spec_args(name)
    extra = sorted(key for key in given if key not in takes)
    hint = "".join(did_you_mean(key, order) for key in extra)
    return HookTypeError(
        f"call_hook({name!r}) got {', '.join(map(repr, extra))}, which the hook point does not "
        f"take; it takes {', '.join(order)}.{hint}"
    )


def _idle_point(name: str) -> Callable[..., None]:
    """A do-nothing ``name`` with the spec's parameters: a call allocates no ``*args``/``**kwargs``."""
    params = ", ".join(f"{a}=None" for a in _spec_args(name))
    namespace: dict[str, Any] = {}
    source = f"def {name}({params}):\n  return None\n"
    exec(compile(source, f"<idle point {name}>", "exec"), namespace)
    idle: Callable[..., None] = namespace[name]
    return idle


_IDLE_POINTS = {name: _idle_point(name) for name in STANDARD_POINTS}
#: the points called once per batch: their fast path runs the hooks and nothing else
_PER_ITERATION = frozenset(name for name in STANDARD_POINTS if name.endswith("_iter"))


def _fire_first(action: Callable[[], None], fn: Callable[..., None]) -> Callable[..., None]:
    def armed(*args: Any, **kwargs: Any) -> None:
        action()
        fn(*args, **kwargs)

    return armed


def _wake_first(manager: HookManager, name: str) -> Callable[..., None]:
    """Point ``name`` that wakes the hooks :meth:`HookManager.wake_soon` named, then runs."""

    def waking(*args: Any, **kwargs: Any) -> None:
        manager._wake_now()
        getattr(manager.points, name)(*args, **kwargs)

    return waking


def _problems_error(problems: list[MethodProblem]) -> type[HookError]:
    """A TypeError for a method a point cannot call with its arguments (MMEngine's error at
    the first call), else a HookError (a misspelt name, which MMEngine never calls)."""
    return HookTypeError if any(p.kind != MISSPELLED for p in problems) else HookError


def _problems_text(
    found: list[tuple[Hook, str | None, list[MethodProblem]]], key: bool, intro: str = ""
) -> str:
    """One paragraph for hooks' method problems, each hook's preceded by where it came
    from: its config key (``key``; else its ``default_hooks`` role) and the plugin entry
    point that offered it, where known."""
    from ..registry import HOOKS
    from ..registry.registry import built_from
    from .method_checks import fixes_text, problems_text

    parts = []
    dists = []
    for hook, role, wrong in found:
        built = built_from(hook)
        entry = (built.entry if built is not None else None) or HOOKS.origin_of(type(hook))
        where = ""
        if key and built is not None:
            where = f"config key {built.key_path!r}"
        elif role is not None:
            where = f"default_hooks role {role!r}"
        if entry is not None:
            dists.append(entry.distribution)
            origin = f"{type(hook).__name__} from the {entry.where()}"
            where = f"{where} ({origin})" if where else origin
        parts.append((f"{where}: " if where else "") + problems_text(wrong))
    problems = [p for _, _, wrong in found for p in wrong]
    return f"{intro}{' '.join(parts)} {fixes_text(problems, dists)}".strip()


def _looks_like_point(name: str, known: list[str]) -> bool:
    """A ``before_``/``after_`` name, or one close to a hook point: maybe misspelt, so worth
    a warning when no loop calls it (other public methods of a hook are helpers)."""
    if name.startswith(("before_", "after_")):
        return True
    return bool(difflib.get_close_matches(name, known, n=1, cutoff=0.7))


def _compile_point(
    manager: HookManager, name: str, caller: Any, impls: list[Any], argnames: tuple[str, ...]
) -> Any:
    """A plain function that calls every implementation of ``name`` directly.

    pluggy resolves the implementations and their order; the generated
    function then calls them one after another with exactly the arguments each
    one takes, so dispatch costs what the calls themselves cost. Arguments not
    given default to None. Wrapper implementations or a first-result spec use
    pluggy's own call instead.
    """
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
            args = list(impl.argnames)
            kwargnames = list(getattr(impl, "kwargnames", ()) or ())
            defaulted = [k for k in kwargnames if k in argnames]
            # positional only when the passed parameters come first, in the spec's order (a
            # defaulted parameter the point does not pass, before them, would take a value)
            if [*args, *kwargnames[: len(defaulted)]] == list(
                argnames[: len(args) + len(defaulted)]
            ):
                call = [*args, *defaulted]  # the spec's order (MMEngine's signatures): positional
            else:
                call = [*args, *(f"{k}={k}" for k in defaulted)]
            call += [f"{k}={k}" for k in _by_keyword(impl.function, argnames, [*args, *defaulted])]
            body.append(f"    _f{n}({', '.join(call)})")
    namespace.update(_annotate=manager._annotate, _name=name)
    # where the run was, for the error's note: the point's own arguments, named
    where = ", ".join(a if a in argnames else "None" for a in ("runner", "batch_idx"))
    source = (
        f"def fire({params}):\n"
        "  try:\n" + "\n".join("  " + line for line in body) + "\n"
        "  except Exception as exc:\n"
        f"    _annotate(exc, _name, {where})\n"
        "    raise\n"
    )
    exec(compile(source, f"<hook point {name}>", "exec"), namespace)
    fire = namespace["fire"]
    fire.__qualname__ = fire.__name__ = name
    return fire


def _take_runner_by_position(hook: Hook, name: str) -> None:
    """Let standard point ``name`` reach a method whose first parameter takes the runner
    under another name (``def after_train_iter(self, r, batch_idx, ...)``).

    MMEngine passes the runner by position, so such hooks work there. pluggy
    matches parameters by name, so the hook gets, on the instance, a function
    with the method's parameters, the first one named ``runner``, that calls the
    method; the class stays as it is, and a method that names ``runner`` pays
    nothing.
    """
    if name in vars(hook):  # set on the instance already (by us, or by its author)
        return
    method = getattr(hook, name)
    alias = runner_parameter_of(method, point_arguments(name) or ())
    if alias is None:
        return
    params = signature_parameters(method)
    params[0] = params[0].replace(name="runner")
    header, call, defaults = [], [], {}
    star = False
    for p in params:
        default = ""
        if p.default is not p.empty:
            defaults[p.name] = p.default
            default = f"=__defaults[{p.name!r}]"
        if p.kind is p.VAR_POSITIONAL:
            star = True
            header.append(f"*{p.name}")
            call.append(f"*{p.name}")
        elif p.kind is p.KEYWORD_ONLY:
            if not star:
                star = True
                header.append("*")
            header.append(f"{p.name}{default}")
            call.append(f"{p.name}={p.name}")
        elif p.kind is p.VAR_KEYWORD:
            header.append(f"**{p.name}")
            call.append(f"**{p.name}")
        else:
            header.append(f"{p.name}{default}")
            call.append(p.name)
    namespace: dict[str, Any] = {"__method": method, "__defaults": defaults}
    source = f"def {name}({', '.join(header)}):\n    return __method({', '.join(call)})\n"
    exec(compile(source, f"<{type(hook).__name__}.{name}: runner by position>", "exec"), namespace)
    by_position = namespace[name]
    by_position.__qualname__ = getattr(method, "__qualname__", name)
    by_position.__doc__ = getattr(method, "__doc__", None)
    marks = {
        k: v for k, v in vars(getattr(method, "__func__", method)).items() if k != "__wrapped__"
    }
    by_position.__dict__.update(marks)  # marks (copies_checkpoint); not __wrapped__ (pluggy
    by_position._runner_by_position = True  # would read the original signature through it)
    setattr(hook, name, by_position)


def _by_keyword(function: Any, argnames: Sequence[str], named: Sequence[str]) -> list[str]:
    """The point's arguments ``function`` takes beyond the ordinary parameters pluggy
    found (``named``): its keyword-only ones, or all the others for a ``**kwargs``.

    MMEngine passes a hook's arguments by keyword, so ``def after_train_iter(self,
    runner, **kwargs)`` gets them there; pluggy's calls would leave them out.
    Worked out once, when a point is compiled: nothing per call.
    """
    required, defaulted, takes_all = _keyword_params(function)
    if takes_all:
        return [a for a in argnames if a not in named]
    keyword_only = {*required, *defaulted}
    return [a for a in argnames if a in keyword_only and a not in named]


def _keyword_params(function: Any) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """``function``'s keyword-only parameters, required and defaulted, and whether it
    takes ``**kwargs`` (pluggy sees none of them); nothing for a callable without a
    signature, which gets what pluggy found."""
    try:
        params = signature_parameters(function)
    except (TypeError, ValueError):
        return (), (), False
    keyword_only = [p for p in params if p.kind is p.KEYWORD_ONLY]
    return (
        tuple(p.name for p in keyword_only if p.default is p.empty),
        tuple(p.name for p in keyword_only if p.default is not p.empty),
        any(p.kind is p.VAR_KEYWORD for p in params),
    )


def _open_point(manager: HookManager, name: str, impls: list[Any]) -> Any:
    """Custom point ``name`` as a function taking any keyword arguments, as MMEngine's
    ``call_hook`` passes them: each hook gets the ones it names (a defaulted one only if
    given, so its default holds), a ``**kwargs`` hook all of them. A required one the
    caller left out is a HookTypeError, as MMEngine's call is a TypeError (it arrived as
    None, silently). Standard points are compiled (``_compile_point``)."""
    calls = []
    for impl in reversed(impls):  # pluggy calls the last registered first
        keyword_required, keyword_defaulted, takes_all = _keyword_params(impl.function)
        required = (*impl.argnames, *keyword_required)
        defaulted = (*(getattr(impl, "kwargnames", ()) or ()), *keyword_defaulted)
        # MMEngine's call_hook passes the runner by position: a first parameter that no
        # call names gets it (def my_point(self, r, x)); decided per call, by the names given
        first = impl.argnames[0] if impl.argnames and impl.argnames[0] != "runner" else None
        calls.append((impl.function, required, defaulted, takes_all, first))

    def fire(**given: Any) -> None:
        try:
            for fn, required, defaulted, takes_all, first in calls:
                if takes_all:
                    fn(**given)
                    continue
                if not given.keys() >= set(required):
                    _check_required(name, fn, required, first, given)
                args = {k: given.get(k) for k in required}
                args.update({k: given[k] for k in defaulted if k in given})
                if first is not None and first not in given and "runner" in given:
                    args[first] = given["runner"]
                fn(**args)
        except Exception as exc:
            manager._annotate(exc, name)
            raise

    fire.__qualname__ = fire.__name__ = name
    return fire


def _check_required(
    name: str, fn: Any, required: tuple[str, ...], first: str | None, given: Mapping[str, Any]
) -> None:
    """Raise HookTypeError if custom point ``name``'s call leaves out a parameter hook method
    ``fn`` requires (the runner fills a ``first`` one the call does not name)."""
    missing = [k for k in required if k not in given and not (k == first and "runner" in given)]
    if not missing:
        return
    owner = getattr(fn, "__self__", None)
    method = f"{type(owner).__name__}.{name}" if owner is not None else name
    gave = ", ".join(k for k in given if k != "runner") or "no arguments"
    listed = ", ".join(map(repr, missing))
    raise HookTypeError(
        f"{method}() requires {listed}, but the call of custom hook point {name!r} gave "
        f"{gave} (and the runner). Give the parameter a default in the hook "
        f"({missing[0]}=None), or pass it: runner.call_hook({name!r}, ..., "
        f"{missing[0]}=...)."
    )


def _isolated_point(name: str, impls: list[Any], argnames: tuple[str, ...]) -> Any:
    """``name`` (an :data:`ISOLATED_POINTS` point) as a function that calls each
    implementation on its own, in priority order.

    An ``Exception`` a hook raises is logged with the hook's name and noted on
    the ``exception`` argument (the error ending the run), and the next hook
    runs; a ``KeyboardInterrupt`` (Ctrl-C again while cleaning up) or other
    ``BaseException`` skips the hooks not yet called. Either way the call
    returns, so the error being handled goes on as it was.
    """
    calls = []
    for impl in reversed(impls):  # pluggy calls the last registered first
        defaulted = [k for k in (getattr(impl, "kwargnames", ()) or ()) if k in argnames]
        named = (*impl.argnames, *defaulted)
        extra = _by_keyword(impl.function, argnames, named)
        calls.append((impl.plugin, impl.function, (*named, *extra)))

    def fire(*args: Any, **kwargs: Any) -> None:
        if len(args) > len(argnames) or any(key not in argnames for key in kwargs):
            raise TypeError(f"hook point {name!r} takes {', '.join(argnames)}")
        given = dict(zip(argnames, args))
        given.update(kwargs)
        for n, (hook, fn, takes) in enumerate(calls):
            try:
                fn(**{key: given.get(key) for key in takes})
            except Exception as err:
                _report_isolated(name, hook, err, given, skipped=[])
            except BaseException as err:  # a second Ctrl-C: stop cleaning up, and stop
                _report_isolated(name, hook, err, given, skipped=[h for h, _, _ in calls[n + 1 :]])
                raise

    fire.__qualname__ = fire.__name__ = name
    return fire


def _report_isolated(
    name: str, hook: Any, err: BaseException, given: Mapping[str, Any], skipped: list[Any]
) -> None:
    """Log a hook's failure at an isolated point and note it on the error being handled."""
    import logging

    handling = given.get("exception")
    what = type(handling).__name__ if isinstance(handling, BaseException) else "an error"
    who = f"{type(hook).__name__}.{name}"
    if isinstance(err, Exception):
        message = (
            f"{who} raised {type(err).__name__}: {err} while the run was stopping on {what}; "
            f"the other hooks' {name} still run and the {what} goes on. Fix the hook: "
            f"{name} must not fail."
        )
    else:
        left = ", ".join(type(h).__name__ for h in skipped) or "none"
        message = (
            f"{who} was interrupted ({type(err).__name__}) while the run was stopping on "
            f"{what}; the {name} of the hooks after it were skipped ({left})."
        )
    logger = getattr(given.get("runner"), "logger", None)
    if not isinstance(logger, logging.Logger):
        logger = logging.getLogger("runner_core")
    if isinstance(err, Exception):
        logger.error(message, exc_info=(type(err), err, err.__traceback__))
    else:
        logger.warning(message)
    if isinstance(handling, BaseException):
        add_note(handling, message)


def _plugin_name(hook: Hook) -> str:
    """The hook's name in pluggy: unique per object, two hooks of a class are both kept."""
    return f"{type(hook).__name__}@{id(hook):x}"


def _position(name: str, runner: Any, batch_idx: Any) -> str:
    """``, epoch 2, iteration 6`` / ``, batch 3``: where the run was, for a hook's error."""
    try:
        if "_train_" in name and runner is not None:
            # an iteration-based run has no epochs to name (the whole run is one)
            by_epoch = getattr(getattr(runner, "train_loop", None), "by_epoch", True)
            where = f", epoch {runner.epoch + 1}" if by_epoch else ""
            if name.endswith("_iter"):
                where += f", iteration {runner.iter + 1}"
            return where
        if name.endswith("_iter") and isinstance(batch_idx, int):
            return f", batch {batch_idx + 1}"
    except Exception:  # a stub runner without counters: no position, never a new error
        pass
    return ""


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
