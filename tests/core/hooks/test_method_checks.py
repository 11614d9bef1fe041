"""Hook methods no hook point calls as written: found as data, refused before training,
and the run's error names the config key and the plugin the hook came from."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
from checkpoint_runs import make_runner

from runner_core.errors import HookError, HookTypeError
from runner_core.hooks import Hook, HookManager
from runner_core.hooks.method_checks import (
    MISSPELLED,
    UNKNOWN_ARGUMENT,
    VAR_ARGUMENTS,
    check_hook_class,
)


def test_every_kind_of_problem_is_returned_as_data_and_the_rest_passes() -> None:
    class Mixed(Hook):
        def afer_train_iter(self, runner):  # misspelled: never called
            pass

        def after_val_epoch(self, runner, metric):  # 'metrics'
            pass

        def before_train_iter(self, runner, *args):  # batch_idx, data_batch go nowhere
            pass

        def after_test_iter(self, runner, *, outputs=None):  # passed by keyword: fine
            pass

        def after_val_iter(self, runner, **kwargs):  # all but runner by keyword: fine
            pass

        def after_train_epoch(self, runner):  # a subset of the arguments: fine
            pass

        def before_valloader2_iter(self, batch_idx, data_batch):  # a custom point: fine
            pass

        def momentum_update(self):  # a helper: fine
            pass

    found = {(p.method, p.kind): str(p) for p in check_hook_class(Mixed)}
    assert set(found) == {
        ("afer_train_iter", MISSPELLED),
        ("after_val_epoch", UNKNOWN_ARGUMENT),
        ("before_train_iter", VAR_ARGUMENTS),
    }
    assert found["afer_train_iter", MISSPELLED] == (
        "Mixed.afer_train_iter matches no hook point: did you mean 'after_train_iter'?"
    )
    assert "Did you mean 'metrics'?" in found["after_val_epoch", UNKNOWN_ARGUMENT]
    assert "batch_idx, data_batch never reach it" in found["before_train_iter", VAR_ARGUMENTS]


def test_static_class_and_wrapped_methods_are_read_as_a_call_sees_them() -> None:
    def logged(fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            return fn(*args, **kwargs)

        return wrapper

    def unwrapped(fn):
        def wrapper(*args, **kwargs):
            return fn(*args, **kwargs)

        return wrapper

    class Fine(Hook):
        @staticmethod
        def before_run(runner):
            pass

        @classmethod
        def after_run(cls, runner):
            pass

        @logged
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            pass

    class Hidden(Hook):
        @unwrapped  # pluggy sees (*args, **kwargs): every argument goes by keyword
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            pass

    assert check_hook_class(Fine) == []
    assert check_hook_class(Hidden) == []


def test_loop_declared_points_are_known_names_with_their_arguments() -> None:
    class Custom(Hook):
        def after_qa_val(self, runner, nbatches):
            pass

        def after_qa_tset(self, runner):
            pass

    declared = {"after_qa_val": ("runner", "n_batches"), "after_qa_test": ()}
    found = {p.method: p for p in check_hook_class(Custom, declared)}
    assert found["after_qa_val"].kind == UNKNOWN_ARGUMENT
    assert "Did you mean 'n_batches'?" in str(found["after_qa_val"])
    assert found["after_qa_tset"].kind == MISSPELLED
    assert "did you mean 'after_qa_test'?" in str(found["after_qa_tset"])
    # undeclared, one reads as a misspelled standard point: why the checks take the loops'
    alone = [(p.method, str(p)) for p in check_hook_class(Custom)]
    assert alone == [
        ("after_qa_val", "Custom.after_qa_val matches no hook point: did you mean 'after_val'?")
    ]


def test_keyword_only_and_kwargs_methods_get_every_argument_as_in_mmengine() -> None:
    """MMEngine passes a hook's arguments by keyword; pluggy's calls passed only the ordinary
    parameters a method names, so ``**kwargs`` stayed empty and ``outputs=`` None."""
    seen: dict[str, Any] = {}

    class Kwargs(Hook):
        def after_train_iter(self, runner, **kwargs):
            seen["kwargs"] = kwargs

    class KeywordOnly(Hook):
        def after_train_iter(self, runner, batch_idx, *, outputs=None):
            seen["keyword_only"] = (batch_idx, outputs)

    class Isolated(Hook):
        def on_exception(self, runner, **kwargs):
            seen["isolated"] = kwargs

    m = HookManager()
    for hook in (Kwargs(), KeywordOnly(), Isolated()):
        m.register(hook)
    m.points.after_train_iter("r", 3, {"x": 1}, {"loss": 2})
    assert seen["kwargs"] == {"batch_idx": 3, "data_batch": {"x": 1}, "outputs": {"loss": 2}}
    assert seen["keyword_only"] == (3, {"loss": 2})
    m.points.on_exception("r", exception=KeyError("k"))
    assert isinstance(seen["isolated"]["exception"], KeyError)


def test_an_extra_parameter_with_a_default_keeps_it_as_in_mmengine() -> None:
    """MMEngine calls by keyword, so `scale=2` that no point passes keeps its default; it
    was refused at registration. Placed before the passed ones, it must not take their
    values either (a positional call would put data_batch into it)."""
    seen: dict[str, Any] = {}

    class After(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None, scale=2):
            seen["after"] = (batch_idx, data_batch, outputs, scale)

    class Before(Hook):
        def after_train_iter(self, runner, batch_idx, scale=2, data_batch=None, outputs=None):
            seen["before"] = (batch_idx, data_batch, outputs, scale)

    class NearMiss(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch=None, output=None):
            pass

    assert check_hook_class(After) == [] and check_hook_class(Before) == []
    (problem,) = check_hook_class(NearMiss)  # a misspelled argument is still one
    assert problem.kind == UNKNOWN_ARGUMENT and "Did you mean 'outputs'?" in str(problem)
    m = HookManager()
    m.register(After())
    m.register(Before())
    m.points.after_train_iter("r", 3, {"x": 1}, {"loss": 2})
    assert seen == {
        "after": (3, {"x": 1}, {"loss": 2}, 2),
        "before": (3, {"x": 1}, {"loss": 2}, 2),
    }


def test_a_defaulted_parameter_in_place_of_all_the_points_arguments_is_refused() -> None:
    """``ckpt=None`` for ``checkpoint`` got None on every call, silently: MMEngine's call,
    by keyword, fails on it. A subset of the arguments, extra defaulted ones beside real
    ones, ``**kwargs``, or a point that passes only the runner still pass."""

    class StoreExtra(Hook):
        def before_save_checkpoint(self, runner, ckpt=None):
            pass

    class BestTracker(Hook):
        def after_val_epoch(self, runner, results=None):
            pass

    class Fine(Hook):
        def after_train_iter(self, runner, batch_idx):
            pass

        def after_val_iter(self, runner, batch_idx, *, scale=2, outputs=None):
            pass

        def before_save_checkpoint(self, runner, ckpt=None, **kwargs):
            pass

        def before_run(self, runner, verbose=False):
            pass

    assert check_hook_class(Fine) == []
    (problem,) = check_hook_class(StoreExtra)
    assert problem.kind == UNKNOWN_ARGUMENT
    assert str(problem).startswith(
        "StoreExtra.before_save_checkpoint takes 'ckpt', which the hook point "
        "'before_save_checkpoint' does not pass. It takes none of the point's arguments"
    )
    assert "rename ckpt to checkpoint. It passes: runner, checkpoint;" in str(problem)
    with pytest.raises(TypeError, match="rename results to metrics"):
        HookManager().register(BestTracker())


def test_a_runner_parameter_of_another_name_passes_the_checks_and_keeps_marks(
    tmp_path: Path,
) -> None:
    """MMEngine passes the runner by position: ``def before_run(self, r)`` is a valid
    hook for it, and for ``config check`` and ``plugins --check`` here too. The function
    the manager installs keeps a ``copies_checkpoint`` mark, so loading still maps the
    file instead of reading it whole."""
    from runner_core.hooks import copies_checkpoint
    from runner_core.hooks.checkpoint_use import leaves_checkpoint_file

    class Ported(Hook):
        def before_run(self, r):
            pass

        @copies_checkpoint
        def after_load_checkpoint(self, rn, checkpoint):
            pass

    assert check_hook_class(Ported) == []
    hook = Ported()
    HookManager().register(hook)
    assert "after_load_checkpoint" in vars(hook)  # the runner-by-position function
    assert leaves_checkpoint_file(hook, "after_load_checkpoint")
    runner = make_runner(tmp_path, custom_hooks=[hook])
    assert hook in list(runner.hooks)


def test_a_kwargs_hook_of_a_custom_point_gets_what_the_caller_passes() -> None:
    # runner.call_hook('after_custom_step', value=3, extra='x') in MMEngine: all by keyword
    seen: dict[str, Any] = {}

    class Open(Hook):
        def after_custom_step(self, runner, **kwargs):
            seen["open"] = (runner, kwargs)

    class Named(Hook):
        def after_custom_step(self, runner, value):
            seen["named"] = (runner, value)

    m = HookManager()
    m.register(Open())
    m.register(Named())
    m.call("after_custom_step", {"runner": "r", "value": 3, "extra": "x"})
    assert seen == {"open": ("r", {"value": 3, "extra": "x"}), "named": ("r", 3)}


def test_a_custom_points_defaulted_argument_gets_the_callers_value_or_its_default() -> None:
    # MMEngine's call_hook passes what it is given by keyword: 3, then the default 5
    seen: list[Any] = []

    class Defaulted(Hook):
        def after_custom_step(self, runner, value=5):
            seen.append(value)

    class Open(Hook):
        def after_custom_step(self, runner, **kwargs):
            pass

    for hooks in ([Defaulted()], [Defaulted(), Open()]):
        seen.clear()
        m = HookManager()
        for hook in hooks:
            m.register(hook)
        m.call("after_custom_step", {"runner": "r", "value": 3})
        m.call("after_custom_step", {"runner": "r"})
        assert seen == [3, 5], hooks


def test_star_args_that_would_receive_nothing_are_refused_at_registration() -> None:
    class Star(Hook):
        def after_train_iter(self, runner, *args):
            pass

    m = HookManager()
    with pytest.raises(HookError, match=r"Star.after_train_iter takes \*args, which receives"):
        m.register(Star(), priority="LOW")
    assert len(m) == 0 and Star.priority == "NORMAL"  # nothing half-registered


def test_a_method_a_point_cannot_call_is_a_type_error_a_misspelt_one_is_not() -> None:
    """MMEngine raises TypeError at the first call of a method with the wrong arguments;
    ours raises at registration, still a TypeError. MMEngine never calls a misspelt one."""

    class Extra(Hook):
        def after_train_iter(self, runner, batch_idx, data_batch, outputs, extra):
            pass

    with pytest.raises(TypeError, match="Extra.after_train_iter"):
        HookManager().register(Extra())
    from runner_core.hooks.manager import _problems_error
    from runner_core.hooks.method_checks import MethodProblem

    typo = MethodProblem("Typo", "after_trian_iter", MISSPELLED, "...")
    assert _problems_error([typo]) is HookError  # found as the run starts: not a TypeError


def test_iteration_for_iter_and_mmcvs_generic_points_are_caught_alike() -> None:
    """after_val_iteration scored 0.848 against after_val_iter (cutoff 0.85) and was only
    warned of after the run, while after_train_iteration was an error at its start; of
    MMCV 1.x's before_epoch/after_epoch/before_iter/after_iter only the first was caught."""

    class Old(Hook):
        def after_val_iteration(self, runner):
            pass

        def before_train_epochs(self, runner):
            pass

        def after_iter(self, runner):
            self.seen = runner

        def before_epoch(self, runner):
            self.seen = runner

    found = {p.method: p for p in check_hook_class(Old)}
    assert {p.kind for p in found.values()} == {MISSPELLED}
    assert str(found["after_val_iteration"]).endswith("did you mean 'after_val_iter'?")
    assert str(found["before_train_epochs"]).endswith("did you mean 'before_train_epoch'?")
    assert str(found["after_iter"]) == (
        "Old.after_iter is MMCV 1.x's generic point, which no hook point calls: name the "
        "points (after_train_iter, after_val_iter, after_test_iter), or override MMEngine's "
        "_after_iter(runner, ...) helper, which after_train_iter and the others call."
    )
    assert "(before_train_epoch, before_val_epoch, before_test_epoch)" in str(found["before_epoch"])

    class Template(Hook):  # MMCV's hook template: every generic point a stub
        def before_epoch(self, runner):
            pass

        def after_iter(self, runner):
            """Nothing to do."""

    assert check_hook_class(Template) == []  # never calling them loses nothing


TYPO_MOD = """
from runner_core.hooks import Hook

class TypoHook(Hook):
    def afer_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        pass
"""


def _train(tmp_path: Path, **hooks: Any) -> HookError:
    from runner_core.registry import HOOKS

    try:
        runner = make_runner(tmp_path / "wd", max_epochs=1, **hooks)
        with pytest.raises(HookError) as err:
            runner.train()
    finally:
        for key in ("TypoHookM", "typo-hooks::TypoHookM"):
            HOOKS._loaded.pop(key, None)
            HOOKS._origins.pop(key, None)
    return err.value


def test_the_runs_error_names_the_config_key_and_the_plugin(fake_dist, tmp_path: Path) -> None:
    fake_dist("typo-hooks", {"runner.hooks": {"TypoHookM": "typo_hooks_m:TypoHook"}},
              {"typo_hooks_m": TYPO_MOD}, "0.3")  # fmt: skip
    custom = [dict(type="EMAHook"), dict(type="TypoHookM")]
    text = str(_train(tmp_path, custom_hooks=custom))
    assert "config key 'custom_hooks[1]' (TypoHook from the entry point 'TypoHookM'" in text
    assert "of typo-hooks 0.3" in text and "`pip uninstall typo-hooks`" in text
    assert "TypoHook.afer_train_iter matches no hook point: did you mean 'after_train_iter'?" in (
        text
    )


def test_a_hook_object_given_as_it_is_is_named_by_its_class(tmp_path: Path) -> None:
    class Typo(Hook):
        def befor_train(self, runner):
            pass

    text = str(_train(tmp_path, custom_hooks=[Typo()]))
    assert text.startswith("Hook methods that no hook point calls as written")
    assert "Typo.befor_train matches no hook point: did you mean 'before_train'?" in text
    assert "config key" not in text and "pip uninstall" not in text


def test_a_default_hook_is_named_by_its_key_or_role(fake_dist) -> None:
    from runner_core.registry import HOOKS
    from runner_core.runner.build import build_hook

    fake_dist("typo-hooks", {"runner.hooks": {"TypoHookM": "typo_hooks_m:TypoHook"}},
              {"typo_hooks_m": TYPO_MOD})  # fmt: skip
    try:
        built, _ = build_hook(dict(type="TypoHookM"), "default_hooks.logger")
        given = type(built)()  # the plugin's class, built outside a config
        for hook, where in ((built, "config key 'default_hooks.logger'"), (given, "role 'logger'")):
            m = HookManager()
            m.register(hook, role="logger")
            with pytest.raises(HookError) as err:
                m.validate()
            assert f"{where} (TypoHook from the entry point 'TypoHookM'" in str(err.value)
    finally:
        HOOKS._loaded.pop("TypoHookM", None)
        HOOKS._origins.pop("TypoHookM", None)


def test_a_custom_points_keyword_only_arguments_get_the_callers_values() -> None:
    # required ones the caller's value (left out: a TypeError, as MMEngine's call), defaulted
    # ones the caller's value or their default
    seen: list[Any] = []

    class KeywordOnly(Hook):
        def after_custom_step(self, runner, *, value, extra=5):
            seen.append((value, extra))

    m = HookManager()
    m.register(KeywordOnly())
    m.call("after_custom_step", {"runner": "r", "value": 3})
    m.call("after_custom_step", {"runner": "r", "value": 4, "extra": 7})
    with pytest.raises(HookTypeError, match=r"KeywordOnly.after_custom_step\(\) requires 'value'"):
        m.call("after_custom_step", {"runner": "r"})
    assert seen == [(3, 5), (4, 7)]


def test_signatures_are_read_once_per_function_and_do_not_keep_a_class() -> None:
    """Each Runner of a notebook registers the same hook classes again; their signatures
    are kept by function, as inspect reads them bound or not, and not past the class."""
    import gc
    import inspect
    import weakref

    from runner_core.hooks.method_checks import signature_parameters

    class Counted(Hook):
        def after_train_iter(self, r, batch_idx, data_batch=None, *, outputs=None) -> None:
            pass

    for method in (Counted().after_train_iter, Counted.after_train_iter):
        expected = list(inspect.signature(method).parameters.values())
        assert signature_parameters(method) == expected
        assert signature_parameters(method) == expected  # the kept copy, unchanged
    signature_parameters(Counted().after_train_iter).pop()  # a caller's own list
    assert [p.name for p in signature_parameters(Counted().after_train_iter)] == [
        "r", "batch_idx", "data_batch", "outputs"
    ]  # fmt: skip

    # IPython's autoreload edits a method in place: the next read sees the new parameters
    def edited(self, r, batch_idx) -> None:  # type: ignore[no-untyped-def]
        pass

    function = Counted.__dict__["after_train_iter"]
    function.__code__, function.__defaults__ = edited.__code__, edited.__defaults__
    function.__kwdefaults__ = None
    assert [p.name for p in signature_parameters(Counted().after_train_iter)] == ["r", "batch_idx"]

    # a decorated method (functools.wraps) is read once too (review: its stamp held a
    # fresh id() each time, so it never matched)
    def logged(f):  # type: ignore[no-untyped-def]
        @functools.wraps(f)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            return f(*args, **kwargs)

        return wrapper

    class Decorated(Hook):
        @logged
        def before_run(self, runner) -> None:  # type: ignore[no-untyped-def]
            pass

    reads = []
    real = inspect.signature
    try:
        inspect.signature = lambda *a, **k: reads.append(1) or real(*a, **k)  # type: ignore[assignment]
        for _ in range(3):
            signature_parameters(Decorated().before_run)
    finally:
        inspect.signature = real
    assert len(reads) == 1
    gone = weakref.ref(Counted)
    del Counted, method, function
    gc.collect()
    assert gone() is None
