"""Evaluator: metrics from configs, MMEngine's argument order, merged results."""

from __future__ import annotations

from typing import Any

import pytest
import torch

from runner_core.errors import ConfigError
from runner_core.evaluator.accuracy import Accuracy
from runner_core.evaluator.evaluator import Evaluator
from runner_core.evaluator.metric import BaseMetric


class SpyMetric(BaseMetric):
    default_prefix = "spy"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.calls: list[tuple[Any, Any]] = []

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.calls.append((data_batch, data_samples))
        self.results.extend(data_samples)

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {"n": len(results)}


def test_evaluator_from_the_guides_config() -> None:
    evaluator = Evaluator(dict(type="Accuracy"))
    assert isinstance(evaluator.metrics[0], Accuracy)
    evaluator.process({"pred": torch.tensor([[0.9, 0.1], [0.2, 0.8]]), "gt": torch.tensor([0, 0])})
    assert evaluator.evaluate() == {"accuracy/top1": 50.0}


def test_process_argument_order_is_mmengines() -> None:
    spy = SpyMetric()
    evaluator = Evaluator([spy])
    evaluator.process(data_samples=[1, 2], data_batch="batch")
    assert spy.calls == [("batch", [1, 2])]


def test_data_elements_reach_metrics_as_dicts() -> None:
    from runner_core.structures import BaseDataElement

    spy = SpyMetric()
    sample = BaseDataElement(metainfo=dict(img_id=3), pred_label=torch.tensor(1))
    Evaluator([spy]).process(data_samples=[sample, {"plain": 1}], data_batch=None)
    (got,) = spy.calls
    first, second = got[1]
    assert type(first) is dict and first["img_id"] == 3 and int(first["pred_label"]) == 1
    assert second == {"plain": 1}


def test_a_generator_or_tuple_reaches_every_metric_as_one_list() -> None:
    """MMEngine builds one list per batch: a generator is read once, for all metrics."""
    from runner_core.structures import BaseDataElement

    first, second = SpyMetric(), SpyMetric(prefix="b")
    evaluator = Evaluator([first, second])
    evaluator.process((i for i in range(3)), "batch")
    evaluator.process((BaseDataElement(v=7), 8))
    assert evaluator.evaluate(5) == {"spy/n": 5, "b/n": 5}
    assert [samples for _, samples in first.calls] == [[0, 1, 2], [{"v": 7}, 8]]
    assert all(type(samples) is list for _, samples in first.calls + second.calls)
    assert first.calls[0][1] is second.calls[0][1]  # one list per batch, as in MMEngine


def test_batched_forms_are_not_split_into_samples() -> None:
    spy = SpyMetric()
    batched = {"pred": torch.eye(2), "gt": torch.tensor([0, 1])}
    logits = torch.eye(2)
    Evaluator([spy]).process(batched)
    Evaluator([spy]).process(logits)
    assert spy.calls[0][1] is batched and spy.calls[1][1] is logits


def test_evaluate_passes_size_and_merges() -> None:
    evaluator = Evaluator([SpyMetric(), dict(type="Accuracy", topk=1)])
    spy = evaluator.metrics[0]
    spy.process(None, [0, 1, 2])
    evaluator.metrics[1].process(None, (torch.eye(3), torch.tensor([0, 1, 1])))
    merged = evaluator.evaluate(size=2)
    assert merged == {"spy/n": 2, "accuracy/top1": 100.0}


def test_duplicate_keys_are_an_error() -> None:
    evaluator = Evaluator([SpyMetric(), SpyMetric()])
    evaluator.process([1])
    # a ConfigError (still the ValueError it was): runner-cli says "bad config", exit 2
    with pytest.raises(ConfigError, match="Two metrics report 'spy/n'.*different prefixes"):
        evaluator.evaluate()
    distinct = Evaluator([SpyMetric(), SpyMetric(prefix="other")])
    distinct.process([1])
    assert distinct.evaluate() == {"spy/n": 1, "other/n": 1}


def test_dataset_meta_is_forwarded() -> None:
    evaluator = Evaluator([SpyMetric(), SpyMetric(prefix="b")])
    evaluator.dataset_meta = {"classes": ("cat", "dog")}
    assert all(m.dataset_meta == {"classes": ("cat", "dog")} for m in evaluator.metrics)


def test_unknown_metric_name_suggests() -> None:
    with pytest.raises(KeyError, match="Did you mean 'Accuracy'"):
        Evaluator(dict(type="Acuracy"))


def test_non_metric_is_an_error() -> None:
    with pytest.raises(TypeError, match=r"metrics\[0\] must be a BaseMetric"):
        Evaluator([42])


def test_offline_evaluate() -> None:
    evaluator = Evaluator(SpyMetric())
    assert evaluator.offline_evaluate([1, 2, 3, 4, 5], chunk_size=2) == {"spy/n": 5}


def test_offline_evaluate_reads_any_iterable_in_chunks() -> None:
    """MMEngine chunks ``iter(data_samples)``: a generator works, every metric sees it all."""
    first, second = SpyMetric(), SpyMetric(prefix="b")
    evaluator = Evaluator([first, second])
    got = evaluator.offline_evaluate((i for i in range(5)), chunk_size=2)
    assert got == {"spy/n": 5, "b/n": 5}
    assert [samples for _, samples in second.calls] == [[0, 1], [2, 3], [4]]
    spy = SpyMetric()
    data = ({"id": i} for i in range(3))
    assert Evaluator(spy).offline_evaluate(iter([10, 11, 12]), data, chunk_size=2) == {"spy/n": 3}
    assert [batch["id"] for batch, _ in spy.calls] == [[0, 1], [2]]
    with pytest.raises(AssertionError, match="3 data samples but 2 data items"):
        Evaluator(SpyMetric()).offline_evaluate(iter([1, 2, 3]), iter([1, 2]), chunk_size=2)
    with pytest.raises(ValueError, match="chunk_size must be a positive int, got 0"):
        Evaluator(SpyMetric()).offline_evaluate([1], chunk_size=0)


def test_offline_evaluate_length_mismatch_is_an_assertion_and_a_value_error() -> None:
    """MMEngine asserts the lengths agree; ``except ValueError`` keeps working too."""
    for expected in (AssertionError, ValueError):
        with pytest.raises(expected, match="1 data samples but 2 data items"):
            Evaluator(SpyMetric()).offline_evaluate([1], [1, 2])


def test_offline_evaluate_batches_the_data_like_a_loader() -> None:
    spy = SpyMetric()
    data = [{"inputs": torch.tensor([i]), "id": i} for i in range(5)]
    assert Evaluator(spy).offline_evaluate([10, 11, 12, 13, 14], data, chunk_size=2) == {"spy/n": 5}
    batches = [batch for batch, _ in spy.calls]
    assert [batch["id"] for batch in batches] == [[0, 1], [2, 3], [4]]
    assert batches[0]["inputs"][1].tolist() == [1]
    assert [samples for _, samples in spy.calls] == [[10, 11], [12, 13], [14]]


def test_an_evaluator_class_as_type_builds_that_evaluator() -> None:
    # a pure-Python config: val_evaluator = dict(type=Evaluator, metrics=[...])
    from runner_core.config import ConfigDict
    from runner_core.runner.build import build_evaluator

    built = build_evaluator(ConfigDict(type=Evaluator, metrics=[dict(type="Accuracy")]))
    assert type(built) is Evaluator and isinstance(built.metrics[0], Accuracy)


@pytest.mark.parametrize(
    ("spec", "key"),
    [
        (
            dict(type="Evaluator", metrics=[dict(type="Accuracy", topk=0)]),
            "val_evaluator.metrics[0]",
        ),
        ([dict(type="Accuracy"), dict(type="Accuracy", topk=0)], "val_evaluator[1]"),
        (dict(type="Accuracy", topk=0), "val_evaluator"),
    ],
)
def test_a_metric_refusing_a_value_names_its_config_key(spec: Any, key: str) -> None:
    from runner_core.errors import ConfigError
    from runner_core.runner.build import EVALUATOR_KEY, build_evaluator

    token = EVALUATOR_KEY.set("val_evaluator")
    try:
        with pytest.raises(ConfigError, match="topk") as caught:
            build_evaluator(spec)
    finally:
        EVALUATOR_KEY.reset(token)
    assert str(caught.value).endswith(f"(at config key {key!r})")


class _Failing(BaseMetric):
    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where

    def process(self, data_batch: Any, data_samples: Any) -> None:
        if self.where == "process":
            raise ValueError("bad sample")
        self.results.append(1)

    def compute_metrics(self, results: list) -> dict:
        raise ZeroDivisionError("boom")


@pytest.mark.parametrize("where", ["process", "compute_metrics"])
def test_a_metrics_error_names_the_metric(where: str) -> None:
    # with several metrics, the error alone does not say which one failed
    evaluator = Evaluator([Accuracy(), _Failing(where)])
    with pytest.raises((ValueError, ZeroDivisionError)) as caught:
        evaluator.process([{"pred_score": torch.tensor([0.9, 0.1]), "gt_label": 0}], None)
        evaluator.evaluate(1)
    assert f"Raised in metric _Failing ({where})." in getattr(caught.value, "__notes__", [])


def test_an_error_while_gathering_results_is_not_blamed_on_compute_metrics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On 2 ranks, rank 1's process() failed and rank 0 died gathering: its note said
    compute_metrics, which never ran."""
    import runner_core.evaluator.metric as metric_module

    def lost_rank(*args: Any) -> None:
        raise RuntimeError("Connection closed by peer")

    monkeypatch.setattr(metric_module, "collect_results", lost_rank)
    evaluator = Evaluator([_Failing("compute_metrics")])
    evaluator.process([{"x": 1}], None)
    with pytest.raises(RuntimeError) as caught:
        evaluator.evaluate(1)
    notes = getattr(caught.value, "__notes__", [])
    assert len(notes) == 1 and "while gathering its results from every rank" in notes[0]


class _NeedsClasses(BaseMetric):
    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(len(self.dataset_meta["classes"]))

    def compute_metrics(self, results: list) -> dict:
        return {}


def test_a_metric_failing_on_a_missing_dataset_meta_is_told_why() -> None:
    """A dataset without metainfo left dataset_meta None: the error was only "'NoneType'
    object is not subscriptable" (MMEngine warns first; we dropped that warning)."""
    evaluator = Evaluator([_NeedsClasses()])
    with pytest.raises(TypeError, match="NoneType") as caught:
        evaluator.process([{"x": 1}], None)
    (note,) = caught.value.__notes__
    assert "Its dataset_meta is None: the dataset has no metainfo" in note

    class Unrelated(_NeedsClasses):
        def process(self, data_batch: Any, data_samples: Any) -> None:
            scale = None
            self.results.append(scale * 2)  # its own bug, not the class names

    with pytest.raises(TypeError, match="NoneType") as caught:
        Evaluator([Unrelated()]).process([{"x": 1}], None)
    assert "dataset_meta" not in caught.value.__notes__[0]


def test_a_metric_name_given_for_the_metrics_is_named_whole() -> None:
    """Evaluator('Accuracy') took the string for a sequence: 'got str: A'."""
    from runner_core.errors import ConfigTypeError

    with pytest.raises(
        ConfigTypeError, match=r"'Accuracy', not a metric: give dict\(type='Accuracy'\)"
    ):
        Evaluator("Accuracy")  # type: ignore[arg-type]
