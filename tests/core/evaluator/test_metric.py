"""BaseMetric: results put back in dataset order, padding dropped, prefixes, cleared after evaluate."""

from __future__ import annotations

from typing import Any

import pytest

from runner_core.data.sampler import DefaultSampler
from runner_core.evaluator.metric import BaseMetric, interleave_results


class OrderMetric(BaseMetric):
    """Records the sample ids it saw, in the order it gets them back."""

    default_prefix = "order"

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.extend(data_samples)

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {"ids": list(results), "count": len(results)}


@pytest.mark.parametrize(("size", "world_size"), [(10, 3), (101, 2), (7, 4), (8, 2)])
def test_interleaving_rank_results_restores_dataset_order(size: int, world_size: int) -> None:
    dataset = list(range(size))
    parts = [
        list(DefaultSampler(dataset, shuffle=True, seed=9, rank=r, world_size=world_size))
        for r in range(world_size)
    ]
    expected = list(DefaultSampler(dataset, shuffle=True, seed=9, rank=0, world_size=1))
    assert interleave_results(parts, size) == expected
    # without the size the padding stays at the end
    assert interleave_results(parts)[:size] == expected
    assert len(interleave_results(parts)) == sum(len(p) for p in parts)


def test_interleave_handles_uneven_parts() -> None:
    assert interleave_results([[0, 3, 6], [1, 4], [2, 5]]) == [0, 1, 2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="size must be >= 0"):
        interleave_results([[1]], -1)


def test_evaluate_prefixes_keys_and_clears_results() -> None:
    metric = OrderMetric()
    metric.process(None, [0, 1, 2])
    metric.process(None, [3, 4, 0])  # the last one is padding
    assert metric.evaluate(size=5) == {"order/ids": [0, 1, 2, 3, 4], "order/count": 5}
    assert metric.results == []
    metric.process(None, [9])
    assert metric.evaluate() == {"order/ids": [9], "order/count": 1}


def test_prefix_argument_overrides_default_prefix() -> None:
    metric = OrderMetric(prefix="val")
    metric.process(None, [1])
    assert list(metric.evaluate()) == ["val/ids", "val/count"]


def test_bad_collect_device_is_an_error() -> None:
    with pytest.raises(ValueError, match="collect_device must be 'cpu', 'gpu' or 'npu'"):
        OrderMetric(collect_device="tpu")


def test_npu_collect_device_is_accepted_as_in_mmengine() -> None:
    metric = OrderMetric(collect_device="npu")
    metric.process(None, [1, 2])
    assert metric.collect_device == "npu"
    assert metric.evaluate(2) == {"order/ids": [1, 2], "order/count": 2}


def test_base_metric_is_abstract() -> None:
    with pytest.raises(TypeError):
        BaseMetric()  # type: ignore[abstract]


def test_empty_prefix_falls_back_to_default_prefix() -> None:
    metric = OrderMetric(prefix="")
    metric.process(None, [1])
    assert list(metric.evaluate()) == ["order/ids", "order/count"]


def test_compute_metrics_gets_results_on_the_cpu() -> None:
    import torch

    moved: list[str] = []

    class Tracked(torch.Tensor):
        def cpu(self, *args: Any, **kwargs: Any) -> Any:
            moved.append("cpu")
            return super().cpu(*args, **kwargs)

    metric = OrderMetric()
    metric.process(None, [torch.tensor(1.0).as_subclass(Tracked)])
    metric.evaluate()
    assert moved == ["cpu"]


def test_no_results_warning_goes_to_the_run_log(tmp_path: Any) -> None:
    from runner_core.logging.logger import get_logger

    log_file = tmp_path / "run.log"
    get_logger(log_file=log_file)
    try:
        OrderMetric().evaluate()
    finally:
        get_logger()  # back to a console-only logger
    assert "OrderMetric got no results to evaluate" in log_file.read_text()


def test_compute_metrics_gets_data_elements_moved_to_the_cpu() -> None:
    """As MMEngine's ``_to_cpu``: each kept element is replaced by ``element.to('cpu')``."""
    import torch

    from runner_core.structures import InstanceData, LabelData

    class Where:
        """A field on a pretend device: records where ``.to()`` sent it."""

        def __init__(self, device: str) -> None:
            self.device = device

        def to(self, device: str) -> Where:
            return Where(device)

    kept = LabelData(score=Where("cuda:0"), label=torch.tensor([1]))
    kept.set_metainfo(dict(img_id=3))
    nested = InstanceData(scores=torch.ones(2))

    class KeepElements(OrderMetric):
        def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
            return {"results": results}

    metric = KeepElements()
    metric.process(None, [kept, {"inner": [nested]}])
    got = metric.evaluate(2)["order/results"]
    assert type(got[0]) is LabelData and got[0] is not kept
    assert got[0].score.device == "cpu" and got[0].label.tolist() == [1]
    assert got[0].img_id == 3
    assert type(got[1]["inner"][0]) is InstanceData and got[1]["inner"][0] is not nested
    assert got[1]["inner"][0].scores.tolist() == [1.0, 1.0]


class Forgetful(BaseMetric):
    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(1)

    def compute_metrics(self, results: list[Any]) -> Any:
        total = sum(results)  # noqa: F841 - and forgets to return it


def test_compute_metrics_that_returns_no_dict_is_named_not_read_as_empty() -> None:
    """A forgotten return gave {} (runner.test() returned {} without a word), and a list of
    pairs was read as a dict; MMEngine fails on .keys() with an AttributeError."""
    from runner_core.evaluator.metric import MetricResultTypeError

    metric = Forgetful()
    metric.process(None, [0])
    with pytest.raises(
        MetricResultTypeError, match=r"Forgetful.compute_metrics must return a dict"
    ):
        metric.evaluate()
    metric.process(None, [0])
    with pytest.raises(AttributeError, match=r"a missing return statement\?"):
        metric.evaluate()
