"""Two Runners alive in one process (a notebook): each call of one uses its own parts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from runner_core import Runner
from runner_core.evaluator import BaseMetric
from runner_core.hooks import Hook
from runner_core.logging import MessageHub, print_log
from runner_core.logging.logger import RunLogger
from runner_core.registry import METRICS, Registry
from runner_core.visualization import Visualizer

MYLIB_METRICS = Registry("metric", parent=METRICS, scope="two_runners_lib")


class _Which(BaseMetric):
    answer = "root"

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(0)

    def compute_metrics(self, results: list) -> dict:
        return {"which": self.answer}


class _MylibWhich(_Which):
    answer = "mylib"


METRICS.register_module("Which", module=_Which, force=True)
MYLIB_METRICS.register_module("Which", module=_MylibWhich, force=True)


class _Probe(Hook):
    """What a model or a metric would find as 'current' during the run's calls."""

    def __init__(self, tag: str) -> None:
        self.tag = tag
        self.seen: list[tuple[bool, bool, bool]] = []

    def before_val(self, runner: Any) -> None:
        print_log(f"PROBE-{self.tag}", logger="current")
        self.seen.append(
            (
                MessageHub.get_current_instance() is runner.message_hub,
                Visualizer.get_current_instance() is runner.visualizer,
                RunLogger.get_current_instance() is runner.logger,
            )
        )


def _runner(work_dir: Path, tag: str, scope: str) -> Runner:
    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    return Runner(
        model=torch.nn.Linear(2, 2),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        val_dataloader=dict(dataset=data, batch_size=4),
        val_evaluator=dict(type="Which"),
        default_scope=scope,
        custom_hooks=[_Probe(tag)],
        default_hooks=dict(logger=dict(progress_bar=False)),
    )


@pytest.mark.filterwarnings("ignore:default_scope='two_runners_lib'")
def test_the_first_runner_keeps_its_scope_logger_hub_and_visualizer(tmp_path: Path) -> None:
    """Built second, B made its default scope and its logger, hub and visualizer current:
    A's val() then built A's evaluator from B's registry and logged into B's file."""
    a = _runner(tmp_path / "a", "A", "runner_core")
    b = _runner(tmp_path / "b", "B", "two_runners_lib")
    assert a.val() == {"which": "root"}  # its evaluator, built now, from its own scope
    assert b.val() == {"which": "mylib"}
    a.train()
    probes = [h for h in a.hooks if isinstance(h, _Probe)] + [
        h for h in b.hooks if isinstance(h, _Probe)
    ]
    assert all(all(seen) for probe in probes for seen in probe.seen), [p.seen for p in probes]
    a_log = next(a.log_dir.glob("*.log")).read_text()
    b_log = next(b.log_dir.glob("*.log")).read_text()
    assert a_log.count("PROBE-A") == 2 and "PROBE-A" not in b_log
    assert b_log.count("PROBE-B") == 1 and "PROBE-B" not in a_log


def test_a_logger_a_hook_makes_during_the_call_is_current_as_in_mmengine(
    tmp_path: Path,
) -> None:
    made: list[Any] = []

    class MakesItsOwn(Hook):
        def before_val(self, runner: Any) -> None:
            made.append(RunLogger.get_instance("hooks-own-logger"))
            assert RunLogger.get_current_instance() is made[-1]

    a = _runner(tmp_path / "a", "A", "runner_core")
    _runner(tmp_path / "b", "B", "runner_core")
    a.register_hook(MakesItsOwn())
    a.val()
    assert made


def test_a_scope_a_hook_sets_during_train_stays_afterwards_as_in_mmengine(
    tmp_path: Path,
) -> None:
    from runner_core.registry.default_scope import DefaultScope
    from runner_core.registry.scope import get_default_scope, set_default_scope

    class SetsScope(Hook):
        def after_train(self, runner: Any) -> None:
            set_default_scope("runner_core_hook_set")

    runner = _runner(tmp_path / "a", "A", "runner_core")
    runner.register_hook(SetsScope())
    before = set(DefaultScope._instance_dict)
    with pytest.warns(UserWarning, match="runner_core_hook_set"):
        runner.train()
    assert get_default_scope() == "runner_core_hook_set"
    added = set(DefaultScope._instance_dict) - before
    assert not any(name.startswith("run-call-") for name in added), added


def test_a_visualizer_built_in_another_thread_does_not_take_a_run_calls_claim(
    tmp_path: Path,
) -> None:
    import threading

    a = _runner(tmp_path / "a", "A", "runner_core")
    with a.visualizer.claimed_current():
        built: list[Visualizer] = []  # kept alive: a dropped one is current nowhere
        other = threading.Thread(target=lambda: built.append(Visualizer(name="in-a-thread")))
        other.start()
        other.join()
        assert Visualizer.get_current_instance() is a.visualizer
        mine = Visualizer(name="built-here-during-the-call")
        assert Visualizer.get_current_instance() is mine  # this thread's newer one wins
        later = threading.Thread(target=lambda: built.append(Visualizer(name="in-a-thread-2")))
        later.start()
        later.join()
        assert Visualizer.get_current_instance() is mine  # not the other thread's, newer still


@pytest.mark.filterwarnings("ignore:default_scope='runner_core_before'")
def test_a_run_calls_scope_outlives_another_call_of_the_same_scope_ending_first() -> None:
    """Two threads' calls in one scope: the first to start made the only instance, and
    when it ended first, the other call ran on in whatever scope was current before."""
    from runner_core.registry.default_scope import DefaultScope
    from runner_core.registry.scope import get_default_scope, run_call_scope, set_default_scope

    set_default_scope("runner_core_before")
    first, second = run_call_scope("runner_core"), run_call_scope("runner_core")
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first call ends while the second still runs
    assert get_default_scope() == "runner_core"
    second.__exit__(None, None, None)
    assert get_default_scope() == "runner_core_before"
    assert not any(n.startswith("run-call-") for n in DefaultScope._instance_dict)
