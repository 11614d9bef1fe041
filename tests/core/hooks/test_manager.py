"""Hooks on pluggy: order, argument subsets, errors users can act on."""

from __future__ import annotations

import copy
import functools
import warnings

import pytest

from runner_core.errors import HookError
from runner_core.hooks import Hook, HookManager, Priority, hook_point_names


class Recorder(Hook):
    def __init__(self, log: list, tag: str, priority: object = None) -> None:
        self.log, self.tag = log, tag
        if priority is not None:
            self.priority = priority

    def before_train_iter(self, batch_idx: int) -> None:
        self.log.append((self.tag, batch_idx))


def test_priority_order_with_ties_in_registration_order() -> None:
    log: list = []
    m = HookManager()
    m.register(Recorder(log, "low", "LOW"))
    m.register(Recorder(log, "normal-1"))
    m.register(Recorder(log, "highest", Priority.HIGHEST))
    m.register(Recorder(log, "normal-2", 50))
    m.register(Recorder(log, "int-45", 45))
    m.call("before_train_iter", {"runner": None, "batch_idx": 7})
    assert [t for t, _ in log] == ["highest", "int-45", "normal-1", "normal-2", "low"]
    assert all(i == 7 for _, i in log)


def test_priority_passed_at_registration_overrides_the_class() -> None:
    log: list = []
    m = HookManager()
    m.register(Recorder(log, "a"))
    m.register(Recorder(log, "b"), priority="VERY_HIGH")
    m.call("before_train_iter", {"runner": None, "batch_idx": 0})
    assert [t for t, _ in log] == ["b", "a"]


def test_omitted_arguments_arrive_as_none() -> None:
    seen = {}

    class WantsMetrics(Hook):
        def after_val_epoch(self, runner, metrics):
            seen["metrics"] = metrics
            seen["runner"] = runner

    m = HookManager()
    m.register(WantsMetrics())
    m.call("after_val_epoch", {"runner": "R"})
    assert seen == {"metrics": None, "runner": "R"}


def test_only_defined_methods_are_registered() -> None:
    m = HookManager()
    m.register(Recorder([], "x"))
    assert m.has("before_train_iter")
    assert not m.has("after_train_iter")


def test_misspelled_hook_method_is_an_error_listing_all() -> None:
    class Typos(Hook):
        def afer_train_iter(self):
            pass

        def before_val_epch(self):
            pass

    m = HookManager()
    m.register(Typos())
    with pytest.raises(HookError) as err:
        m.validate()
    msg = str(err.value)
    assert "did you mean 'after_train_iter'" in msg and "did you mean 'before_val_epoch'" in msg


def test_distinct_names_are_custom_points_and_warn_when_never_called() -> None:
    calls = []

    class Custom(Hook):
        def before_valloader2_iter(self, batch_idx, data_batch):
            calls.append((batch_idx, data_batch))

        def after_never_called(self):
            pass

        def train_epoch(self):  # close to after_train_epoch
            pass

        def momentum_update(self):  # a helper (mmdet's MeanTeacherHook): no warning
            pass

    m = HookManager()
    m.register(Custom())
    m.validate()
    m.call("before_valloader2_iter", {"runner": None, "batch_idx": 1, "data_batch": "b"})
    assert calls == [(1, "b")]
    with pytest.warns(
        UserWarning, match="Custom.after_never_called, Custom.train_epoch\\. "
    ) as record:
        m.warn_uncalled()
    assert "momentum_update" not in str(record[0].message)


def test_declared_points_do_not_warn() -> None:
    class Custom(Hook):
        def after_loader2(self, batch_idx):
            pass

    m = HookManager()
    m.register(Custom())
    m.declare_points({"after_loader2": ("batch_idx",)})
    m.validate()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.warn_uncalled()


def test_exception_keeps_traceback_and_names_hook_role_and_point() -> None:
    class Boom(Hook):
        def after_train_iter(self, outputs):
            raise ValueError("bad outputs")

    m = HookManager()
    m.register(Boom(), role="logger")
    with pytest.raises(ValueError, match="bad outputs") as err:
        m.call("after_train_iter", {"runner": None})
    notes = " ".join(getattr(err.value, "__notes__", []))
    assert "Boom" in notes and "'after_train_iter'" in notes and "'logger'" in notes
    frames = [f.name for f in err.traceback]
    assert "after_train_iter" in frames  # the hook's own frame is kept


def test_not_a_hook_is_rejected() -> None:
    with pytest.raises(HookError, match="subclass runner_core.hooks.Hook"):
        HookManager().register(object())


def test_unknown_priority_name_suggests() -> None:
    with pytest.raises(HookError, match="Did you mean 'HIGH'"):
        HookManager().register(Recorder([], "x", "HIHG"))


def test_hook_points_are_the_22_mmengine_points_and_on_exception_with_docstrings() -> None:
    from runner_core.hooks import specs
    from runner_core.hooks.hook import STAGES

    names = hook_point_names()
    assert len(names) == 23 and set(names) == {*STAGES, "on_exception"}
    for name in names:
        assert getattr(specs, name).__doc__, name


def test_defaulted_arguments_receive_the_values_given() -> None:
    seen = {}

    class Defaults(Hook):
        def after_val_epoch(self, runner, metrics=None):
            seen["metrics"] = metrics

    m = HookManager()
    m.register(Defaults())
    m.call("after_val_epoch", {"runner": None, "metrics": {"acc": 1.0}})
    assert seen == {"metrics": {"acc": 1.0}}


def test_a_first_parameter_of_another_name_gets_the_runner_by_position() -> None:
    """MMEngine passes the runner by position, the rest by keyword: ported hooks that
    call it ``r`` or ``trainer`` get it, through every way a point is called."""
    seen: list = []

    class Ported(Hook):
        def before_train_iter(self, r, batch_idx, data_batch=None):
            seen.append(("before", r, batch_idx, data_batch))

        def after_train_iter(self, trainer, batch_idx, data_batch=None, *, outputs=None):
            seen.append(("after", trainer, batch_idx, outputs))

        def after_val_epoch(self, rn, **kwargs):
            seen.append(("val", rn, kwargs))

        def on_exception(self, who, exception=None):
            seen.append(("exc", who, type(exception).__name__))

    m = HookManager()
    hook = Ported()
    m.register(hook)
    m.points.before_train_iter("R", 3, "batch")
    m.points.after_train_iter("R", 3, None, {"loss": 1.0})
    m.call("after_val_epoch", {"runner": "R", "metrics": {"acc": 1.0}})
    m.call("on_exception", {"runner": "R", "exception": ValueError()})
    assert seen == [
        ("before", "R", 3, "batch"),
        ("after", "R", 3, {"loss": 1.0}),
        ("val", "R", {"metrics": {"acc": 1.0}}),
        ("exc", "R", "ValueError"),
    ]
    seen.clear()
    hook.before_train_iter("direct", 0)  # the hook's own method still takes what it says
    assert seen == [("before", "direct", 0, None)]
    assert "r" in Ported.before_train_iter.__code__.co_varnames  # the class is untouched


def test_methods_replaced_after_registration_are_called_from_the_next_run_on() -> None:
    """MMEngine looks a hook's method up at each call: tests ``mock.patch.object`` a hook
    class or set a ``MagicMock`` on a hook after ``register_hook``. The Runner refreshes
    the manager as each run call starts."""
    from unittest import mock

    seen: list = []

    class Traced(Hook):
        def before_train_epoch(self, runner):
            seen.append(("own", runner))

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            seen.append(("own iter", batch_idx))

    class Plain(Hook):
        pass

    m = HookManager()
    traced, plain = Traced(), Plain()
    m.register(traced)
    m.register(plain)
    spy = mock.MagicMock()
    traced.after_train_iter = spy  # on the instance
    plain.after_val_epoch = mock.MagicMock()  # a point its class does not implement
    with mock.patch.object(Traced, "before_train_epoch") as patched:  # on the class
        m.refresh()
        m.points.before_train_epoch("R")
        m.points.after_train_iter("R", 7, "batch", {"loss": 1})
        m.call("after_val_epoch", {"runner": "R", "metrics": {"acc": 1}})
    # called as MMEngine calls them: the runner by position, the rest by keyword
    patched.assert_called_once_with("R")
    spy.assert_called_once_with("R", batch_idx=7, data_batch="batch", outputs={"loss": 1})
    plain.after_val_epoch.assert_called_once_with("R", metrics={"acc": 1})
    assert seen == [] and traced.after_train_iter is spy  # the user's mock stays theirs
    del traced.after_train_iter
    Traced.before_train_epoch = lambda self, rn: seen.append(("renamed", rn))  # type: ignore
    m.refresh()
    m.points.before_train_epoch("R")
    m.points.after_train_iter("R", 8, None, None)
    assert seen == [("renamed", "R"), ("own iter", 8)]


def test_custom_points_and_the_base_class_can_be_patched_too() -> None:
    from unittest import mock

    class Custom(Hook):
        def after_foo(self, runner, x=None):
            raise AssertionError("the patched method runs instead")

    class Plain(Hook):
        pass

    m = HookManager()
    custom, plain = Custom(), Plain()
    m.register(custom)
    m.register(plain)
    with (
        mock.patch.object(Custom, "after_foo") as foo,
        mock.patch.object(Hook, "before_train_epoch") as base,
    ):
        m.refresh()
        m.call("after_foo", {"runner": "R", "x": 1})
        m.points.before_train_epoch("R")
    foo.assert_called_once_with("R", x=1)
    assert base.call_count == 2  # every hook, as MMEngine's call_hook calls each one's
    m.refresh()
    m.points.before_train_epoch("R")  # restored: no hook implements it again
    assert base.call_count == 2


def test_a_custom_point_passes_the_runner_by_position_to_a_first_parameter() -> None:
    seen: list = []

    class Custom(Hook):
        def after_qa_step(self, r, step):
            seen.append((r, step))

    m = HookManager()
    m.register(Custom())
    m.call("after_qa_step", {"runner": "R", "step": 2})
    assert seen == [("R", 2)]


def test_a_custom_points_call_leaving_out_a_required_parameter_is_a_type_error() -> None:
    """It arrived as None, silently (the guide's after_valloader2_iter(..., extra)); MMEngine's
    call raises TypeError, and the same method on a standard point is refused at start."""
    from runner_core.errors import HookTypeError

    seen: list = []

    class NeedsExtra(Hook):
        def after_valloader2_iter(self, batch_idx, data_batch, outputs, extra):
            seen.append(extra)

    m = HookManager()
    m.register(NeedsExtra())
    given = {"runner": "R", "batch_idx": 0, "data_batch": "b", "outputs": None}
    with pytest.raises(HookTypeError) as err:  # a TypeError too
        m.call("after_valloader2_iter", given)
    assert str(err.value).startswith(
        "NeedsExtra.after_valloader2_iter() requires 'extra', but the call of custom hook "
        "point 'after_valloader2_iter' gave batch_idx, data_batch, outputs (and the runner)."
    )
    assert seen == []
    m.call("after_valloader2_iter", {**given, "extra": 1})
    assert seen == [1]


class _Counter(Hook):
    def __init__(self) -> None:
        self.n = 0

    def after_train_iter(self, r, batch_idx, data_batch=None, outputs=None):
        self.n += 1


def test_a_copied_or_pickled_hook_calls_its_own_methods() -> None:
    """The function that passes the runner by position belongs to one instance: a deep
    copy (or an unpickled hook) must count on itself, not on the original."""
    import copy
    import pickle

    hook = _Counter()
    HookManager().register(hook)
    for other in (copy.deepcopy(hook), pickle.loads(pickle.dumps(hook))):
        m = HookManager()
        m.register(other)
        m.points.after_train_iter("R", 0)
        assert (hook.n, other.n) == (0, 1)


def test_a_decorated_method_with_another_runner_name_is_called_and_the_manager_goes_on() -> None:
    import functools

    seen: list = []

    def logged(fn):
        @functools.wraps(fn)
        def inner(*args, **kwargs):
            return fn(*args, **kwargs)

        return inner

    class Decorated(Hook):
        @logged
        def after_train_iter(self, r, batch_idx, data_batch=None, outputs=None):
            seen.append((r, batch_idx))

    m = HookManager()
    m.register(Decorated())
    m.register(Recorder([], "next"))  # the manager still takes hooks
    m.points.after_train_iter("R", 4)
    assert seen == [("R", 4)]


def test_the_runner_parameter_keeps_the_checks_of_the_others() -> None:
    class Typo(Hook):
        def after_train_iter(self, r, batch_idx, data_batch=None, output=None):
            pass

    m = HookManager()
    with pytest.raises(HookError, match=r"takes 'output'.*'outputs'\?"):
        m.register(Typo())
    assert "after_train_iter" not in vars(Typo())  # nothing installed on a refused hook


def test_points_are_no_ops_before_any_hook_is_registered() -> None:
    """A runner with no hooks at all (default_hooks_set='none') still calls its points."""
    m = HookManager()
    for name in hook_point_names():
        assert getattr(m.points, name)("R") is None


def test_an_argument_a_standard_point_does_not_take_is_an_error() -> None:
    """``runner.call_hook('after_train_iter', output=...)``: MMEngine's hooks raise
    TypeError on it; dropping it would hand every hook ``outputs=None``."""
    from runner_core.errors import HookTypeError

    log: list = []
    m = HookManager()
    m.register(Recorder(log, "a"))
    with pytest.raises(HookTypeError, match=r"'output'.*Did you mean 'outputs'\?") as info:
        m.call("after_train_iter", {"runner": None, "batch_idx": 3, "output": {}})
    assert isinstance(info.value, TypeError)
    m.call("before_train_iter", {"runner": None, "batch_idx": 3})
    assert log == [("a", 3)]


def test_idle_points_take_the_spec_arguments_by_position_and_name() -> None:
    m = HookManager()
    m.points.after_train_iter("R", 0, None, {"loss": 1.0})
    m.points.after_train_iter("R", batch_idx=0, data_batch=None, outputs=None)
    with pytest.raises(TypeError):  # a misspelt argument is an error, not swallowed
        m.points.after_train_iter("R", 0, None, outputz=None)


class SometimesIdle(Hook):
    """Implements after_train_iter, but names it idle when ``idle`` is set."""

    def __init__(self, log: list, tag: str, idle: bool) -> None:
        self.log, self.tag, self.idle = log, tag, idle

    def idle_points(self, runner: object) -> tuple[str, ...]:
        return ("after_train_iter",) if self.idle else ()

    def after_train_iter(self, batch_idx: int) -> None:
        self.log.append((self.tag, batch_idx))


def test_a_point_a_hook_names_idle_is_not_called_until_after_train() -> None:
    log: list = []
    m = HookManager()
    m.register(SometimesIdle(log, "idle", idle=True))
    m.register(SometimesIdle(log, "busy", idle=False))
    m.points.after_train_iter(None, 0)  # before training: every implementation is called
    m.call("before_train", {"runner": None})
    m.points.after_train_iter(None, 1)
    m.call("after_train_iter", {"runner": None, "batch_idx": 2})
    assert m.idle_table() == {"SometimesIdle": ["after_train_iter"]}
    m.call("after_train", {"runner": None})
    m.points.after_train_iter(None, 3)
    assert log == [("idle", 0), ("busy", 0), ("busy", 1), ("busy", 2), ("idle", 3), ("busy", 3)]
    assert m.idle_table() == {}


def test_when_every_implementation_is_idle_the_point_is_a_no_op() -> None:
    log: list = []
    m = HookManager()
    m.register(SometimesIdle(log, "idle", idle=True))
    m.call("before_train", {"runner": None})
    m.points.after_train_iter(None, 1)
    m.call("after_train_iter", {"runner": None, "batch_idx": 2})
    assert log == []
    assert m.has("after_train_iter")  # still implemented, only left out for this run


def test_idle_points_naming_no_hook_point_is_an_error_with_a_suggestion() -> None:
    class Confused(Hook):
        def idle_points(self, runner: object) -> tuple[str, ...]:
            return ("after_train_itr",)

        def after_train_iter(self) -> None:
            pass

    m = HookManager()
    m.register(Confused())
    with pytest.raises(HookError, match=r"names \['after_train_itr'\], which is no hook point"):
        m.call("before_train", {"runner": None})
    with pytest.raises(HookError, match="Did you mean one of 'after_train_iter'"):
        m.call("before_train", {"runner": None})


def test_idle_points_given_as_one_string_name_one_point() -> None:
    """A str is a Collection[str]: its letters were taken for names ('_', 'a', ...)."""
    log: list = []

    class ByEpoch(SometimesIdle):
        def idle_points(self, runner: object) -> str:  # type: ignore[override]
            return "after_train_iter"

    m = HookManager()
    m.register(ByEpoch(log, "by-epoch", idle=False))
    m.call("before_train", {"runner": None})
    assert m.idle_table() == {"ByEpoch": ["after_train_iter"]}
    m.points.after_train_iter(None, 1)
    assert log == []


def test_idle_points_naming_a_point_the_hook_lacks_leave_nothing_out() -> None:
    """A subclass may drop a point its parent names idle: nothing to leave out, no error."""
    log: list = []

    class Lean(SometimesIdle):
        def idle_points(self, runner: object) -> tuple[str, ...]:
            return ("after_train_iter", "before_train_epoch")

    m = HookManager()
    m.register(Lean(log, "lean", idle=False))
    m.call("before_train", {"runner": None})
    assert m.idle_table() == {"Lean": ["after_train_iter"]}


def test_hooks_registered_during_an_idle_run_keep_the_idle_set() -> None:
    log: list = []
    m = HookManager()
    m.register(SometimesIdle(log, "idle", idle=True))
    m.call("before_train", {"runner": None})
    m.register(SometimesIdle(log, "late", idle=False))  # e.g. a hook registered by a hook
    m.points.after_train_iter(None, 1)
    assert log == [("late", 1)]


def test_a_hook_woken_soon_is_called_from_the_next_point_on() -> None:
    """wake_soon (a signal handler's call) swaps nothing mid-call; the next point wakes the hook."""
    log: list = []
    m = HookManager()
    sleeper = SometimesIdle(log, "sleeper", idle=True)
    m.register(sleeper)
    m.register(SometimesIdle(log, "busy", idle=False))
    m.call("before_train", {"runner": None})
    m.points.after_train_iter(None, 1)
    m.wake_soon(sleeper)
    assert m.idle_table() == {"SometimesIdle": ["after_train_iter"]}  # not rebuilt yet
    m.points.after_train_iter(None, 2)
    assert m.idle_table() == {}
    m.points.after_train_iter(None, 3)
    assert log == [("busy", 1), ("sleeper", 2), ("busy", 2), ("sleeper", 3), ("busy", 3)]


def test_a_wake_asked_for_while_points_are_rebuilt_is_not_lost() -> None:
    """A signal may land while the idle set is being settled; the wake still happens."""
    log: list = []
    m = HookManager()
    sleeper = SometimesIdle(log, "sleeper", idle=True)
    m.register(sleeper)

    class WakesDuringSettle(Hook):
        def idle_points(self, runner: object) -> tuple[str, ...]:
            m.wake_soon(sleeper)  # as a signal handler would, between two bytecodes
            return ()

    m.register(WakesDuringSettle())
    m.call("before_train", {"runner": None})
    m.points.after_train_iter(None, 1)
    assert log == [("sleeper", 1)]


def test_a_misspelled_argument_name_is_an_error_not_none_forever() -> None:
    class Typo(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, output=None):
            pass

    class WrongRequired(Hook):
        def after_val_epoch(self, runner, metric):
            pass

    m = HookManager()
    with pytest.raises(HookError, match=r"Typo.after_train_iter takes 'output'.*'outputs'\?"):
        m.register(Typo())
    with pytest.raises(HookError, match=r"takes 'metric'.*Did you mean 'metrics'\?"):
        m.register(WrongRequired())  # pluggy's own check would name no fix
    assert len(m) == 0  # nothing half-registered


def test_a_declared_points_arguments_are_checked_when_the_run_starts() -> None:
    class Custom(Hook):
        def after_qa_val(self, runner, nbatches):
            pass

    m = HookManager()
    m.register(Custom())
    m.declare_points({"after_qa_val": ("runner", "n_batches")})
    with pytest.raises(HookError, match=r"takes 'nbatches'.*Did you mean 'n_batches'\?"):
        m.validate()


def test_a_declared_point_called_with_other_arguments_is_an_error() -> None:
    """The loop declared ``metric`` but passes ``metrics``: a hook written to the
    declaration would silently get None, so the call names the mismatch."""

    class Reader(Hook):
        def after_qa_check(self, runner, metric):
            pass

    for hooks in ([Reader()], []):  # also with no hook attached yet: the loop's own bug
        m = HookManager()
        for hook in hooks:
            m.register(hook)
        m.declare_points({"after_qa_check": ("runner", "metric")})
        with pytest.raises(HookError, match=r"'after_qa_check'.*\(runner, metric\).*'metrics'"):
            m.call("after_qa_check", {"runner": None, "metrics": 1})
    m.call("after_qa_check", {"runner": None, "metric": 1})  # as declared: fine


def test_a_loop_cannot_redeclare_a_standard_point_with_other_arguments() -> None:
    m = HookManager()
    with pytest.raises(HookError, match=r"standard hook point 'after_val_epoch'.*scores"):
        m.declare_points({"after_val_epoch": ("runner", "scores")})
    m.declare_points({"after_val_epoch": ("runner", "metrics")})  # the spec's own: fine


def test_after_point_runs_once_every_hook_has_had_the_point() -> None:
    """A resumed run's missed validation must reach lower-priority hooks after their before_train."""
    log: list = []
    m = HookManager()

    class Defers(Hook):
        priority = "VERY_LOW"

        def before_train(self) -> None:
            log.append("defers.before_train")
            m.after_point(lambda: log.append("deferred"))

    class Lowest(Hook):
        priority = "LOWEST"

        def before_train(self) -> None:
            log.append("lowest.before_train")

    m.register(Lowest())
    m.register(Defers())
    m.call("before_train", {"runner": None})
    assert log == ["defers.before_train", "lowest.before_train", "deferred"]
    m.after_point(lambda: log.append("at once"))  # no point being called
    assert log[-1] == "at once"


def test_after_point_waits_for_every_hook_on_the_fast_points_too() -> None:
    """A val loop of one's own calling hook_points.after_val_epoch: the checkpoint hook's
    best file was written before lower-priority hooks (early stopping) had seen it."""
    log: list = []
    m = HookManager()

    class Defers(Hook):
        priority = "VERY_LOW"

        def after_val_epoch(self, runner, metrics=None) -> None:
            m.after_point(lambda: log.append("deferred"))

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            m.after_point(lambda: log.append("at once"))  # per-iteration: nothing added

    class Lowest(Hook):
        priority = "LOWEST"

        def after_val_epoch(self, runner, metrics=None) -> None:
            log.append("lowest")

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            log.append("lowest iter")

    m.register(Lowest())
    m.register(Defers())
    m.points.after_val_epoch(None, {"acc": 1.0})
    assert log == ["lowest", "deferred"]
    m.points.after_train_iter(None, 0, None, None)
    assert log[2:] == ["at once", "lowest iter"]


def test_after_point_actions_of_a_point_that_raised_are_dropped() -> None:
    ran: list = []
    m = HookManager()

    class DefersThenFails(Hook):
        def before_train(self) -> None:
            m.after_point(lambda: ran.append("deferred"))
            raise ValueError("boom")

    m.register(DefersThenFails())
    with pytest.raises(ValueError, match="boom"):
        m.call("before_train", {"runner": None})
    m.call("after_train", {"runner": None})
    assert ran == []


def test_a_runner_with_many_hooks_builds_its_hook_points_once(tmp_path, monkeypatch) -> None:
    """Each registration rebuilt pluggy's order and compiled every point again: 200 custom
    hooks took 4.7 s to build a Runner (MMEngine 0.4 s), 400 took 16.5 s."""
    import torch

    from runner_core import Runner
    from runner_core.hooks import manager

    calls: list[int] = []

    class Noop(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
            calls.append(batch_idx)

    rebuilds: list[int] = []
    original = manager.HookManager._rebuild_callers

    def counted(self):  # type: ignore[no-untyped-def]
        rebuilds.append(len(self._entries))
        return original(self)

    monkeypatch.setattr(manager.HookManager, "_rebuild_callers", counted)
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    runner = Runner(
        model=torch.nn.Linear(2, 2),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(max_epochs=1),
        optimizer=dict(type="SGD", lr=0.1),
        custom_hooks=[Noop() for _ in range(200)],
    )
    assert len(rebuilds) <= 2 and len([h for h in runner.hooks if isinstance(h, Noop)]) == 200
    runner.train()
    assert len(calls) == 2 * 200  # two iterations, every hook called


def test_remove_unregisters_a_hook_as_mmengines_list_does() -> None:
    seen: list = []

    class Counted(Hook):
        def before_train_epoch(self, runner):
            seen.append(runner)

    m = HookManager()
    kept, dropped = Counted(), Counted()
    m.register(kept)
    m.register(dropped)
    m.remove(dropped)  # runner._hooks.remove(hook): mmrazor's subnet loop
    m.points.before_train_epoch("R")
    assert seen == ["R"] and list(m) == [kept]
    with pytest.raises(ValueError, match="not a registered hook"):
        m.remove(dropped)


def test_registering_one_hook_object_twice_says_so() -> None:
    class Once(Hook):
        def before_train_epoch(self, runner):
            pass

    m = HookManager()
    hook = Once()
    m.register(hook)
    with pytest.raises(HookError, match=r"registered already.*copy\.copy\(hook\)"):
        m.register(hook)
    assert list(m) == [hook]
    m.register(copy.copy(hook))  # a second object is a second hook
    assert len(m) == 2


def test_a_point_defined_with_partialmethod_is_called_as_in_mmengine() -> None:
    """``after_val_epoch = partialmethod(_log, mode='val')`` binds to a partial, which
    pluggy refused with a bare AssertionError ('not a hookable attribute')."""
    seen: list = []

    class Shared(Hook):
        def _log(self, runner: object, mode: str, **kwargs: object) -> None:
            seen.append((runner, mode, kwargs))

        after_val_epoch = functools.partialmethod(_log, mode="val")
        before_train_epoch = functools.partialmethod(_log, mode="train")

    m = HookManager()
    m.register(Shared())
    m.points.after_val_epoch("R", {"acc": 1.0})
    m.points.before_train_epoch("R")
    assert seen == [("R", "val", {"metrics": {"acc": 1.0}}), ("R", "train", {})]
