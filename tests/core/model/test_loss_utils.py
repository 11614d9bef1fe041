"""merge_dict and detect_anomalous_params: MMEngine's helpers for models' losses."""

from __future__ import annotations

import logging

import pytest
import torch
import torch.fx
from torch import nn

from runner_core.model import detect_anomalous_params, loss_utils, merge_dict


def test_merge_dict_returns_a_new_dict_later_arguments_winning() -> None:
    first, second = {"loss_cls": 1, "loss_bbox": 2}, {"loss_bbox": 3, "acc": 4}
    merged = merge_dict(first, second)
    assert merged == {"loss_cls": 1, "loss_bbox": 3, "acc": 4}
    assert merged is not first and first == {"loss_cls": 1, "loss_bbox": 2}
    assert merge_dict() == {}
    with pytest.raises(AssertionError, match="argument 1 is a list"):  # MMEngine asserts
        merge_dict({}, [("a", 1)])


def test_merge_dict_is_one_node_when_traced_by_fx() -> None:
    namespace = vars(loss_utils)  # torch.fx.wrap patches the module it was called in
    exec("def _traced(x):\n    return merge_dict({'a': x}, {'b': x + 1})\n", namespace)
    try:
        graph = torch.fx.symbolic_trace(namespace["_traced"]).graph
    finally:
        del namespace["_traced"]
    assert [n.target for n in graph.nodes if n.op == "call_function"][-1] is merge_dict


def test_detect_anomalous_params_logs_the_parameters_the_loss_never_reached(
    caplog: pytest.LogCaptureFixture,
) -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2), nn.Linear(2, 2))
    model[2].weight.requires_grad_(False)  # not reached, but needs no gradient: not reported
    loss = model[0](torch.ones(1, 2)).sum()
    from runner_core.logging import RunLogger

    logger = RunLogger.get_current_instance()
    logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.ERROR):
            detect_anomalous_params(loss, model)
    finally:
        logger.removeHandler(caplog.handler)
    reported = [r.getMessage().split(" with shape")[0] for r in caplog.records]
    assert reported == ["1.weight", "1.bias", "2.bias"]
    assert "1.weight with shape torch.Size([2, 2]) is not in the computational graph" in (
        caplog.records[0].getMessage()
    )
