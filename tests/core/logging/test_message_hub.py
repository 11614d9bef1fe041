"""HistoryBuffer: tensors are read when the history is, together, and kept as floats."""

from __future__ import annotations

import math

import pytest
import torch

from runner_core.logging import HistoryBuffer, MessageHub


def test_tensors_are_read_on_the_first_read_and_kept_as_floats() -> None:
    buf = HistoryBuffer()
    for v in (1.0, 2.0, 3.0, 6.0):
        buf.update(torch.tensor(v))
    assert all(isinstance(v, torch.Tensor) for v in buf._values)  # nothing read yet
    assert buf.mean(2) == 4.5
    assert [type(v) for v in buf._values] == [float] * 4
    assert buf.data() == [1.0, 2.0, 3.0, 6.0]
    assert (buf.current(), buf.max(), buf.min(), buf.mean()) == (6.0, 6.0, 1.0, 3.0)


def test_only_the_tensors_since_the_last_read_are_read() -> None:
    buf = HistoryBuffer()
    buf.update(torch.tensor(1.0))
    assert buf.current() == 1.0
    buf.update(torch.tensor(5.0))
    buf.update(torch.tensor(7.0))
    assert buf.mean() == pytest.approx(13.0 / 3)
    assert buf.data() == [1.0, 5.0, 7.0]


def test_a_tensor_recorded_before_a_number_is_still_read_right() -> None:
    buf = HistoryBuffer()
    early = torch.tensor(2.0)
    buf.update(early)
    buf.update(4)  # a number after it: the tensor is not in the unread tail
    buf.update(torch.tensor(6.0))
    assert buf.mean() == 4.0
    assert buf.data() == [2.0, 4, 6.0]
    assert buf.state_dict() == {"values": [2.0, 4, 6.0], "max_length": 1000}


def test_numbers_of_every_kind_are_read_as_floats() -> None:
    import numpy as np

    buf = HistoryBuffer()
    for v in (1, torch.tensor(2), np.float32(3.5), torch.tensor(4.5, dtype=torch.float64), True):
        buf.update(v)
    assert buf.mean() == pytest.approx(12.0 / 5)
    assert (buf.max(), buf.min(), buf.current()) == (4.5, 1.0, 1.0)
    assert [type(v) for v in buf._values] == [float] * 5
    assert buf.mean(2) == pytest.approx(2.75)


def test_a_value_that_is_not_one_number_is_refused_and_the_buffer_stays_usable() -> None:
    """MMEngine's update raises TypeError; a bad value kept would fail every later read."""
    buf = HistoryBuffer()
    buf.update(1.0)
    for bad in (torch.ones(2), "x", None):
        with pytest.raises(TypeError, match="one number"):
            buf.update(bad)
    buf.update(3.0)
    assert buf.mean() == 2.0


def test_read_newest_reads_a_callers_own_tensors_once_for_both() -> None:
    buf = HistoryBuffer()
    buf.update(torch.tensor(1.0))
    mine = [torch.tensor(2.0), torch.tensor(float("nan"))]
    for t in mine:
        buf.update(t)
    read = buf.read_newest(mine)
    assert read is not None and read[0] == 2.0 and read[1] != read[1]  # NaN kept as it is
    assert [type(v) for v in buf._values] == [float] * 3  # the history's reads are done too
    assert buf.current() != buf.current()
    # not the newest entries (others were recorded after them), or already read: None
    assert buf.read_newest(mine) is None
    late = torch.tensor(3.0)
    buf.update(late)
    buf.update(torch.tensor(4.0))
    assert buf.read_newest([late]) is None
    assert isinstance(buf._values[-1], torch.Tensor)  # nothing read when it says None
    assert buf.read_newest([torch.tensor(4.0)]) is None  # equal is not the same
    assert buf.read_newest([]) is None


def test_max_length_is_kept_while_reading() -> None:
    buf = HistoryBuffer(max_length=3)
    for v in range(5):
        buf.update(torch.tensor(float(v)))
    assert buf.data() == [2.0, 3.0, 4.0]
    buf.update(torch.tensor(9.0))
    assert buf.data() == [3.0, 4.0, 9.0]


def test_hub_state_dict_holds_numbers_only() -> None:
    hub = MessageHub.get_instance("history-buffer-state")
    hub.history("train/loss").update(torch.tensor(0.5))
    state = hub.state_dict()
    restored = MessageHub.get_instance("history-buffer-restored")
    restored.load_state_dict(state)
    assert restored.get_scalar("train/loss").data() == [0.5]
    assert type(restored.get_scalar("train/loss")._values[-1]) is float


class _OnDevice(torch.Tensor):
    """A scalar that says it lives on a device and counts its one-by-one reads."""

    reads = 0

    @property
    def is_cpu(self) -> bool:  # type: ignore[override]
        return False

    def item(self) -> float:  # type: ignore[override]
        type(self).reads += 1
        return float(super().item())


def _on_device(value: float) -> torch.Tensor:
    return torch.tensor(value).as_subclass(_OnDevice)


def test_device_scalars_are_read_together_not_one_by_one() -> None:
    _OnDevice.reads = 0
    buf = HistoryBuffer()
    for v in (1.0, 2.0, 4.0, 8.0):
        buf.update(_on_device(v))
    assert buf.data() == [1.0, 2.0, 4.0, 8.0]
    assert [type(v) for v in buf._values] == [float] * 4
    assert _OnDevice.reads == 0  # one stacked read (one device wait), no read per value


def test_device_values_that_cannot_be_stacked_are_read_one_by_one() -> None:
    _OnDevice.reads = 0
    buf = HistoryBuffer()
    buf.update(_on_device(1.0))
    buf.update(torch.tensor([3.0]).as_subclass(_OnDevice))  # one element, but not a scalar
    buf.update(_on_device(5.0))
    assert buf.mean() == 3.0
    assert _OnDevice.reads == 3


def test_non_tensor_values_off_the_cpu_are_read_by_their_item() -> None:
    class Remote:  # a value object of some other library that reads like a tensor
        is_cpu = False

        def __init__(self, value: float) -> None:
            self.value = value

        def item(self) -> float:
            return self.value

    buf = HistoryBuffer()
    buf.update(Remote(2.0))
    buf.update(Remote(4.0))
    assert buf.data() == [2.0, 4.0]


def test_data_is_also_mmengines_values_and_counts_property() -> None:
    buf = HistoryBuffer()
    for value in (1.0, 2.0, 4.0):
        buf.update(value)
    values, counts = buf.data  # MMEngine: a property holding two numpy arrays
    assert values.tolist() == [1.0, 2.0, 4.0] and counts.tolist() == [1, 1, 1]
    assert buf.data[0][-1] == 4.0
    assert buf.data() == [1.0, 2.0, 4.0]  # ours: called, the floats


def test_counts_weight_the_mean_as_in_mmengine() -> None:
    hub = MessageHub("counts-test")
    hub.update_scalar("acc", 10.0, count=2)
    hub.update_scalar("acc", 2.0)
    assert hub.get_scalar("acc").mean() == 4.0  # (10 + 2) / (2 + 1)
    hub.update_scalars({"top1": dict(value=3.0, count=4), "plain": 1.0})
    assert hub.get_scalar("top1").mean() == 0.75
    values, counts = hub.get_scalar("acc").data
    assert values.tolist() == [10.0, 2.0] and counts.tolist() == [2, 1]
    assert hub.get_scalar("acc").statistics("current") == 2.0
    # the counts survive a checkpoint
    restored = MessageHub("counts-restored")
    restored.load_state_dict(hub.state_dict())
    assert restored.get_scalar("acc").mean() == 4.0


def test_a_value_that_is_not_a_number_is_refused_when_recorded() -> None:
    hub = MessageHub("refuse-test")
    with pytest.raises(
        AssertionError, match=r"update_scalars\(\{key: dict\(value=\.\.\., count=n\)\}\)"
    ):
        hub.update_scalar("train/acc", {"value": 1.0})
    with pytest.raises(TypeError, match="without 'value'"):
        hub.update_scalars({"train/acc": {"count": 2}})
    hub.state_dict()  # nothing unreadable was kept, so a checkpoint can be written


def test_resumed_false_keys_stay_out_of_checkpoints() -> None:
    hub = MessageHub("resumed-test")
    hub.update_scalar("kept", 1.0)
    hub.update_scalar("dropped", 2.0, resumed=False)
    hub.update_info("note", "x", resumed=False)
    hub.update_info_dict({"epoch": 3})
    assert hub.resumed_keys == {"kept": True, "dropped": False, "note": False, "epoch": True}
    state = hub.state_dict()
    assert list(state["log_scalars"]) == ["kept"] and state["runtime_info"] == {"epoch": 3}
    assert hub.instance_name == "resumed-test"
    # MMEngine's format: its MessageHub.load_state_dict asserts 'resumed_keys' is there
    assert state["resumed_keys"] == {"kept": True, "dropped": False, "note": False, "epoch": True}


def test_loaded_resumed_keys_decide_what_the_next_checkpoint_keeps() -> None:
    hub = MessageHub("resumed-load-test")
    hub.load_state_dict(
        {
            "log_scalars": {"loss": {"values": [1.0], "max_length": 1000}},
            "runtime_info": {"epoch": 1, "note": "x"},
            "resumed_keys": {"loss": True, "epoch": True, "note": False, "absent": True},
        }
    )
    assert hub.get_info("note") == "x"  # loaded, as MMEngine does, but not saved again
    state = hub.state_dict()
    assert state["runtime_info"] == {"epoch": 1} and list(state["log_scalars"]) == ["loss"]
    assert state["resumed_keys"] == {"loss": True, "epoch": True, "note": False}


def test_mmengine_constructors() -> None:
    buf = HistoryBuffer([1.0, 2.0, 6.0], [1, 1, 2])
    assert buf.mean() == 2.25 and buf.max_length == 1000
    hub = MessageHub.get_instance("ctor-test", log_scalars={"loss": buf}, runtime_info={"iter": 5})
    assert hub.get_scalar("loss") is buf and hub.get_info("iter") == 5
    with pytest.raises(KeyError, match="Did you mean 'mean'"):
        buf.statistics("maen")


def test_an_mmengine_checkpoints_history_buffers_are_loaded() -> None:
    import numpy as np

    class MMEngineHistoryBuffer:  # what MMEngine pickles into its checkpoints
        def __init__(self) -> None:
            self._log_history = np.array([4.0, 2.0, 6.0])
            self._count_history = np.array([1, 1, 2])
            self.max_length = 1000000

    hub = MessageHub("mmengine-ckpt")
    hub.load_state_dict(
        {
            "log_scalars": {"train/loss": MMEngineHistoryBuffer()},
            "runtime_info": {"epoch": 2},
            "resumed_keys": {"train/loss": True, "epoch": True},
        }
    )
    assert hub.get_scalar("train/loss").mean() == 3.0 and hub.get_info("epoch") == 2
    with pytest.raises(TypeError, match="neither this runner's history state"):
        hub.load_state_dict({"log_scalars": {"x": object()}})


def test_mmengines_keyword_names_work() -> None:
    buf = HistoryBuffer()
    for v in range(20):
        buf.update(log_val=float(v), count=1)
    assert (buf.mean(window_size=5), buf.max(window_size=5), buf.min(window_size=5)) == (
        17.0,
        19.0,
        15.0,
    )
    assert buf.statistics("mean", window_size=2) == 18.5
    hub = MessageHub("t_keywords")
    hub.update_scalars(log_dict={"train/acc": 0.5, "train/n": dict(value=6.0, count=3)})
    assert hub.get_scalar("train/acc").current() == 0.5
    assert hub.get_scalar("train/n").mean(window_size=1) == 2.0


def test_register_statistics_adds_a_statistic_every_buffer_has() -> None:
    @HistoryBuffer.register_statistics
    def weighted_mean_for_tests(self: HistoryBuffer, window_size: int, weight: list) -> float:
        values = self._log_history[-window_size:]  # MMEngine's numpy arrays
        return float((values * weight).sum() / self._count_history[-window_size:].sum())

    try:
        assert weighted_mean_for_tests.__name__ == "weighted_mean_for_tests"
        buf = HistoryBuffer([1.0, 2.0], [1, 1])
        assert buf.statistics("weighted_mean_for_tests", 2, [2, 1]) == 2.0
        with pytest.raises(AssertionError, match="exists already"):
            HistoryBuffer.register_statistics(weighted_mean_for_tests)
        with pytest.raises(AssertionError, match="exists already"):

            def mean(self: HistoryBuffer) -> float:
                return 0.0

            HistoryBuffer.register_statistics(mean)
        with pytest.raises(KeyError, match="register_statistics"):
            buf.statistics("weighted_maen_for_tests")
    finally:
        HistoryBuffer._statistics_methods.pop("weighted_mean_for_tests", None)


def test_info_holding_tensors_and_numpy_values_is_saved() -> None:
    # a downstream hook's resumable state, a metric returned as np.float32: MMEngine saves them
    import numpy as np

    hub = MessageHub("hub_info_tensors")
    hub.update_info("ema_decay", torch.tensor(0.999))
    hub.update_info("best", np.float32(0.91))
    hub.update_info("counts", np.ones(3))
    state = hub.state_dict()
    again = MessageHub("hub_info_tensors_again")
    again.load_state_dict(state)
    assert again.get_info("ema_decay").item() == pytest.approx(0.999)
    assert again.get_info("best") == pytest.approx(0.91) and type(again.get_info("best")) is float
    assert again.get_info("counts").tolist() == [1.0, 1.0, 1.0]


def test_a_refused_scalar_leaves_no_empty_history() -> None:
    hub = MessageHub("hub_refused_scalar")
    with pytest.raises((TypeError, ValueError)):
        hub.update_scalar("train/loss_aux", 0.5, count=2.5)
    assert "train/loss_aux" not in hub.log_scalars
    assert "train/loss_aux" not in hub.state_dict()["log_scalars"]


def test_info_that_cannot_be_saved_is_left_out_with_a_warning() -> None:
    import numpy as np

    hub = MessageHub("hub_info_strings")
    hub.update_info("classes", np.array(["cat", "dog"]))  # no tensor holds strings
    with pytest.warns(UserWarning, match="'classes'"):
        state = hub.state_dict()
    assert "classes" not in state["runtime_info"]


def test_histories_made_ready_but_empty_are_not_among_log_scalars() -> None:
    """Hooks make their histories ready before the first value (hub.history(key)); a hook
    reading `v.current()` for every key of log_scalars then failed on them, where in
    MMEngine a key appears with its first value."""
    hub = MessageHub("ready-histories")
    hub.update_scalar("train/loss", 0.5)
    ready = hub.history("train/time")
    assert {k: v.current() for k, v in hub.log_scalars.items()} == {"train/loss": 0.5}
    ready.update(0.1)
    assert hub.log_scalars is hub.log_scalars  # all filled: the hub's own dict, as before
    assert set(hub.log_scalars) == {"train/loss", "train/time"}


def test_a_hub_made_with_its_constructor_does_not_become_the_current_one() -> None:
    """As MMEngine's: only get_instance registers a hub. A hook's scratch hub must not
    take over from the run's, which library code finds through get_current_instance."""
    run_hub = MessageHub.get_instance("t_run_hub_kept_current")
    run_hub.update_info("iter", 42)
    scratch = MessageHub("t_scratch_hub")
    assert MessageHub.get_current_instance() is run_hub
    assert MessageHub.get_current_instance().get_info("iter") == 42
    assert scratch is not MessageHub.get_instance("t_scratch_hub")  # not registered by name


def test_a_reserved_history_keeps_more_values_existing_ones_lengthened() -> None:
    hub = MessageHub("lengthen")
    for value in range(1500):
        hub.update_scalar("train/loss", float(value), count=2 if value == 1499 else 1)
    assert len(hub.history("train/loss")) == 1000  # the default length
    hub.reserve("train/loss", 3000)
    buf = hub.history("train/loss")
    assert buf is hub.get_scalar("train/loss") and buf.max_length == 3000
    for value in range(1500, 3500):
        buf.append(float(value))  # the new append: hooks bind theirs after the reservation
    assert len(buf) == 3000 and buf.current() == 3499.0
    assert buf.mean() == (sum(range(500, 3500)) / 3001)  # the one count of 2 kept
    hub.reserve("train/loss", 10)
    assert buf.max_length == 3000  # never shortened
    hub.reserve("train/new", 5000)  # made that long when first written, read or loaded
    assert "train/new" not in hub.log_scalars
    hub.update_scalar("train/new", 1.0)
    assert hub.get_scalar("train/new").max_length == 5000
    hub.reserve("val/acc", 5000)
    hub.load_state_dict({"log_scalars": {"val/acc": {"values": [1.0], "max_length": 1000}}})
    assert hub.get_scalar("val/acc").max_length == 5000


def test_a_reserved_key_loaded_from_a_short_state_keeps_all_its_values() -> None:
    """An MMEngine checkpoint's histories arrive marked with our default length: a reserved
    key kept only their last 1,000 values (a global mean of 4499.5 where MMEngine's is
    2499.5)."""
    hub = MessageHub("reserved-load")
    hub.reserve("train/loss", 1_000_000)
    values = [float(v) for v in range(5000)]
    hub.load_state_dict({"log_scalars": {"train/loss": {"values": values, "max_length": 1000}}})
    assert len(hub.get_scalar("train/loss")) == 5000
    assert hub.get_scalar("train/loss").mean() == 2499.5


def test_count_since_a_mark_counts_the_values_recorded_after_it() -> None:
    buf = HistoryBuffer(max_length=5)
    buf.update(1.0)
    mark = buf.mark()
    for value in (2.0, 3.0):
        buf.update(value)
    assert buf.count_since(mark) == 2
    mark = buf.mark()
    for value in (4.0, 5.0, 6.0):  # full now: the marked value found from the newest end
        buf.update(value)
    assert buf.count_since(mark) == 3
    for value in range(7, 20):  # the marked value dropped: everything kept is newer
        buf.update(float(value))
    assert buf.count_since(mark) == 5
    assert HistoryBuffer().count_since(HistoryBuffer().mark()) == 0


def test_an_unknown_scalar_names_the_hub_and_what_it_holds() -> None:
    hub = MessageHub.get_instance("scalars-named-hub")
    with pytest.raises(KeyError, match=r"'value' in the message hub 'scalars-named-hub'; it "):
        hub.get_scalar("value")
    hub.update_scalar("train/loss", 1.0)
    with pytest.raises(KeyError, match=r"known: train/loss\. Did you mean 'train/loss'"):
        hub.get_scalar("train/los")


def test_a_negative_window_drops_the_oldest_values_as_mmengines_slice() -> None:
    """MMDet3D's BenchmarkHook asks mean(len(loader) - 50): [-w:] in MMEngine."""
    buffer = HistoryBuffer()
    for value in [1.0, 2.0, 3.0, 4.0, 5.0]:
        buffer.update(value)
    assert buffer.mean(-2) == 4.0  # the values after the first two
    assert math.isnan(buffer.mean(-5)) and math.isnan(buffer.mean(-46))  # none left
    assert buffer.mean(2) == 4.5 and buffer.mean() == 3.0
