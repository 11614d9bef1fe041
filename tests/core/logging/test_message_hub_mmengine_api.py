"""MessageHub calls MMEngine users make from custom hooks: their errors and copies."""

from __future__ import annotations

import pytest

from runner_core.logging import HistoryBuffer, MessageHub


def test_update_scalars_and_update_info_dict_refuse_a_non_dict_as_mmengine() -> None:
    hub = MessageHub("qa-not-a-dict")
    with pytest.raises(AssertionError, match=r"update_scalars takes a dict, got list"):
        hub.update_scalars([("loss", 1.0)])  # type: ignore[arg-type]
    with pytest.raises(AssertionError, match=r"update_info_dict takes a dict, got list"):
        hub.update_info_dict([("epoch", 1)])  # type: ignore[arg-type]
    hub.update_scalars({"loss": 1.0})
    assert hub.get_scalar("loss").current() == 1.0


def test_the_constructor_checks_its_histories_and_resumed_keys_as_mmengine() -> None:
    with pytest.raises(AssertionError, match=r"'loss' holds list, not a HistoryBuffer"):
        MessageHub("qa-init", log_scalars={"loss": [1.0, 2.0]})  # type: ignore[dict-item]
    with pytest.raises(AssertionError, match=r"'lr' is neither in log_scalars nor"):
        MessageHub("qa-init", log_scalars={"loss": HistoryBuffer([1.0])}, resumed_keys={"lr": True})
    hub = MessageHub("qa-init", log_scalars={"loss": HistoryBuffer([1.0, 3.0])})
    assert hub.get_scalar("loss").mean() == 2.0


def test_load_state_dict_takes_another_hub_and_copies_all_of_it() -> None:
    """MMEngine loads a pickled hub too: every scalar and info, the keys not resumed included."""
    source = MessageHub("qa-source")
    source.update_scalar("train/loss", 2.0)
    source.update_scalar("train/loss", 4.0)
    source.update_scalar("train/tmp", 1.0, resumed=False)
    source.update_info("classes", ["cat", "dog"])
    target = MessageHub("qa-target")
    target.load_state_dict(source)
    assert target.get_scalar("train/loss").data() == [2.0, 4.0]
    assert target.get_scalar("train/tmp").current() == 1.0
    assert target.resumed_keys["train/tmp"] is False
    source.get_info("classes").append("bird")  # a copy: the source changing does not show
    source.update_scalar("train/loss", 6.0)
    assert target.get_info("classes") == ["cat", "dog"]
    assert target.get_scalar("train/loss").data() == [2.0, 4.0]


def test_state_dict_and_load_state_dict_copy_the_runtime_info_as_mmengine() -> None:
    hub = MessageHub("qa-copies")
    best = {"accuracy": [0.5]}
    hub.update_info("best", best)
    state = hub.state_dict()
    best["accuracy"].append(0.9)  # changed after the state was taken
    assert state["runtime_info"]["best"] == {"accuracy": [0.5]}
    other = MessageHub("qa-copies-2")
    other.load_state_dict(state)
    state["runtime_info"]["best"]["accuracy"].append(0.7)
    assert other.get_info("best") == {"accuracy": [0.5]}


def test_get_instance_of_an_existing_hub_warns_that_it_ignores_the_arguments() -> None:
    hub = MessageHub.get_instance("qa-existing-hub")
    with pytest.warns(UserWarning, match=r"ignores the arguments \['runtime_info'\]"):
        again = MessageHub.get_instance("qa-existing-hub", runtime_info={"a": 1})
    assert again is hub and "a" not in hub.runtime_info


def test_clearing_instance_dict_as_ported_teardowns_do_forgets_the_hubs() -> None:
    saved = dict(MessageHub._instance_dict)
    hub = MessageHub.get_instance("ported_hub")
    try:
        assert MessageHub._instance_dict["ported_hub"] is hub
        MessageHub._instance_dict.clear()  # an MMEngine test suite's tearDown
        assert not MessageHub.check_instance_created("ported_hub")
        assert MessageHub.get_instance("ported_hub") is not hub
    finally:
        MessageHub._instance_dict.clear()
        MessageHub._instance_dict.update(saved)


def test_a_history_buffer_is_built_from_arrays_and_tensors_as_mmengines() -> None:
    import numpy as np
    import torch

    for values, counts in (
        (np.array([1, 2, 3]), np.array([1, 1, 1])),
        (torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1, 1, 1])),
        (np.array([1.0, 2.0, 3.0]), np.array([], dtype=int)),
    ):
        buffer = HistoryBuffer(values, counts)
        assert float(buffer.mean()) == 2.0 and float(buffer.current()) == 3.0
    weighted = HistoryBuffer(np.array([2.0, 4.0]), np.array([1, 3]))
    assert float(weighted.mean()) == 1.5  # a sum over 4 samples


def test_the_statistics_are_numpy_floats_as_mmengines() -> None:
    """MMEngine's come from a float64 array: custom hooks call .item(), .round(2)."""
    import json

    import numpy as np

    hub = MessageHub("qa-numpy-statistics")
    hub.update_scalar("train/loss", 0.123456)
    hub.update_scalar("train/loss", 0.5)
    buffer = hub.get_scalar("train/loss")
    for value in (buffer.current(), buffer.mean(), buffer.max(), buffer.min(), buffer.mean(2)):
        assert type(value) is np.float64 and value.dtype == np.float64
    assert buffer.mean().item() == pytest.approx(0.311728)
    assert buffer.current().round(2) == 0.5 and buffer.min().item() == 0.123456
    assert json.dumps({"loss": buffer.mean()}) == '{"loss": 0.311728}'  # still a float
    assert np.isnan(HistoryBuffer([1.0]).mean(-5))  # MMEngine's 0 / 0


def test_a_whole_float_count_is_taken_as_mmengine_takes_it() -> None:
    buffer = HistoryBuffer()
    buffer.update(10.0, count=5.0)
    buffer.update(2.0, count=1)
    assert buffer.mean() == 2.0  # (10 + 2) / (5 + 1)
    with pytest.raises(TypeError):
        buffer.update(1.0, count=2.5)


def test_a_hub_is_found_by_its_name_again_once_a_newer_namesake_is_gone() -> None:
    """Two Runners of one experiment_name: building (or failing to build) the second cut
    the first off from its hub by name, also after the second was gone."""
    import gc

    first = MessageHub.create("qa-same-name")
    first.update_info("iter", 15)
    second = MessageHub.create("qa-same-name")
    assert MessageHub.get_instance("qa-same-name") is second
    later = MessageHub.create("qa-other-name")  # made after both: stays the current one
    del second
    gc.collect()
    assert MessageHub.check_instance_created("qa-same-name")
    assert MessageHub.get_instance("qa-same-name") is first
    assert MessageHub.get_current_instance() is later
    del later
    gc.collect()
    assert MessageHub.get_current_instance() is first
    assert first.get_info("iter") == 15


def test_a_cleared_table_does_not_bring_back_a_replaced_hub() -> None:
    """A ported tear-down clears the table while the newer hub lives: the older one
    (a previous test's, with its stale info) must not come back as current."""
    first = MessageHub.create("qa-cleared")
    first.update_info("iter", 7)
    second = MessageHub.create("qa-cleared")
    saved = dict(MessageHub._instance_dict)
    MessageHub._instance_dict.clear()
    try:
        assert not MessageHub.check_instance_created("qa-cleared")
        assert MessageHub.get_current_instance() is not first
        del second  # the newer one gone after the clear: the older stays forgotten
        import gc

        gc.collect()
        assert not MessageHub.check_instance_created("qa-cleared")
        assert MessageHub.get_current_instance() is not first
    finally:
        MessageHub._instance_dict.clear()
        MessageHub._instance_dict.update(saved)


def test_mmengines_parameter_names_work_as_keywords() -> None:
    """OpenMMLab code calls these by keyword, with MMEngine's parameter names."""
    source = MessageHub("qa-keywords")
    source.update_info_dict(info_dict={"epoch": 3, "classes": ["cat"]}, resumed=True)
    assert source.get_info("epoch") == 3
    target = MessageHub("qa-keywords-target")
    target.load_state_dict(state_dict=source.state_dict())
    assert target.get_info("classes") == ["cat"]
