"""``mmengine.dist``'s API in one process: every name exists and gives MMEngine's answer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from runner_core import distributed as dist
from runner_core.errors import ConfigError, RunnerError

#: ``mmengine.dist.__all__`` in MMEngine 0.10.7.
MMENGINE_DIST_NAMES = [
    "all_gather_object",
    "all_reduce",
    "all_gather",
    "all_reduce_dict",
    "collect_results",
    "collect_results_cpu",
    "collect_results_gpu",
    "gather",
    "broadcast",
    "gather_object",
    "sync_random_seed",
    "broadcast_object_list",
    "get_dist_info",
    "init_dist",
    "init_local_group",
    "get_backend",
    "get_world_size",
    "get_rank",
    "get_local_size",
    "get_local_group",
    "get_local_rank",
    "is_main_process",
    "master_only",
    "barrier",
    "is_distributed",
    "get_default_group",
    "all_reduce_params",
    "get_data_device",
    "get_comm_device",
    "cast_data_device",
    "infer_launcher",
]


def test_every_mmengine_dist_name_is_exported() -> None:
    missing = [name for name in MMENGINE_DIST_NAMES if not hasattr(dist, name)]
    assert missing == []
    assert set(MMENGINE_DIST_NAMES) <= set(dist.__all__)
    assert set(dist.__all__) <= set(dir(dist))


def test_group_argument_and_single_process_answers() -> None:
    assert dist.get_rank(group=None) == 0
    assert dist.get_world_size(None) == 1
    assert dist.get_dist_info(group=None) == (0, 1)
    assert dist.is_main_process(group=None) is True
    dist.barrier(group=None)
    assert dist.get_backend() is None
    assert dist.get_comm_device() == torch.device("cpu")
    assert dist.get_default_group() is None
    assert dist.get_local_size() == 1
    assert dist.get_local_group() is None
    dist.init_local_group(0, 1)  # nothing to group in one process
    assert dist.get_local_group() is None


@pytest.mark.parametrize("op", ["sum", "SUM", "mean", "Mean", "max", "min", "product", "band"])
def test_all_reduce_takes_mmengine_ops_in_any_case(op: str) -> None:
    t = torch.tensor([1.0, 2.0])
    assert dist.all_reduce(t, op=op, group=None) is t
    assert t.tolist() == [1.0, 2.0]


def test_tensor_collectives_are_identity_in_one_process() -> None:
    t = torch.tensor([1, 2])
    gathered = dist.all_gather(t)
    assert len(gathered) == 1 and gathered[0] is t
    assert dist.gather(t, dst=0)[0] is t
    assert dist.gather_object({"a": 1}) == [{"a": 1}]
    assert dist.broadcast(t, src=0) is t and t.tolist() == [1, 2]
    box = ["x", {"a": 1}]
    assert dist.broadcast_object_list(box, src=0) is box and box == ["x", {"a": 1}]
    assert isinstance(dist.sync_random_seed(group=None), int)


def test_broadcast_object_list_wants_a_list() -> None:
    with pytest.raises(dist.DistributedArgumentError, match="must be a list") as info:
        dist.broadcast_object_list(("a",))  # type: ignore[arg-type]
    # MMEngine asserts here: code catching AssertionError (or TypeError) still catches it
    assert isinstance(info.value, AssertionError) and isinstance(info.value, TypeError)


def test_all_reduce_dict_single_process() -> None:
    data = {"b": torch.tensor([1.0]), "a": torch.tensor([2, 3])}
    assert dist.all_reduce_dict(data, op="mean") is data
    assert data["a"].tolist() == [2, 3] and data["b"].tolist() == [1.0]
    with pytest.raises(AssertionError, match="dict of tensors"):
        dist.all_reduce_dict([torch.zeros(1)])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="Did you mean 'mean'"):
        dist.all_reduce_dict(data, op="maen")


def test_all_reduce_params_is_a_no_op_in_one_process() -> None:
    model = torch.nn.Linear(2, 2)
    before = [p.detach().clone() for p in model.parameters()]
    dist.all_reduce_params(model.parameters(), coalesce=True, op="mean")
    dist.all_reduce_params(model.parameters(), coalesce=False, bucket_size_mb=1)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


@pytest.mark.parametrize("device", ["cpu", "gpu", "npu"])
def test_collect_results_single_process_is_cut_to_size(device: str, tmp_path: Path) -> None:
    results = ["a", None, "c", "d"]
    assert dist.collect_results(results, 3, device=device) == ["a", None, "c"]
    assert dist.collect_results(results, 10, device=device) == results
    # tmpdir is accepted and ignored: results travel by collectives, not files
    assert dist.collect_results(results, 2, "cpu", tmpdir=str(tmp_path / "x")) == ["a", None]
    assert not (tmp_path / "x").exists()
    assert dist.collect_results_cpu(results, 1) == ["a"]
    assert dist.collect_results_gpu(results, 2) == ["a", None]


def test_results_to_cpu_moves_tensors_and_data_elements() -> None:
    from runner_core.distributed.collectives import results_to_cpu
    from runner_core.structures import LabelData

    element = LabelData(label=torch.tensor([2]))
    element.set_metainfo(dict(img_id=7))
    moved = results_to_cpu([1, "a", (torch.ones(1), {"e": element})])
    assert moved[:2] == [1, "a"] and moved[2][0].tolist() == [1.0]
    copy = moved[2][1]["e"]
    assert isinstance(copy, LabelData) and copy is not element  # element.to('cpu'): a new one
    assert copy.label.tolist() == [2] and copy.img_id == 7


def test_collect_results_rejects_an_unknown_device() -> None:
    with pytest.raises(NotImplementedError, match=r"device='GPU'.*Did you mean 'gpu'\?"):
        dist.collect_results([1], 1, device="GPU")
    with pytest.raises(dist.CollectDeviceError, match=r"Did you mean 'gpu'\?"):
        dist.collect_results([1], 1, device="cuda:0")
    with pytest.raises(ValueError):  # also a ValueError: a bad argument value
        dist.collect_results([1], 1, device="tpu")


def test_get_data_device() -> None:
    cpu = torch.device("cpu")
    assert dist.get_data_device(torch.zeros(1)) == cpu
    assert dist.get_data_device([torch.zeros(1), (torch.ones(2),)]) == cpu
    assert dist.get_data_device({"a": torch.zeros(1), "b": [torch.zeros(1)]}) == cpu
    with pytest.raises(ValueError, match="different devices"):
        dist.get_data_device([torch.zeros(1), torch.zeros(1, device="meta")])
    with pytest.raises(ValueError, match="empty"):
        dist.get_data_device([])
    with pytest.raises(TypeError, match="must be a tensor"):
        dist.get_data_device("cpu")


def test_cast_data_device_keeps_structure_and_fills_out() -> None:
    meta = torch.device("meta")
    t = torch.zeros(2)
    assert dist.cast_data_device(t, torch.device("cpu")) is t  # already there: not copied
    moved = dist.cast_data_device({"a": [t, t], "b": (t,)}, meta)
    assert isinstance(moved["a"], list) and isinstance(moved["b"], tuple)
    assert moved["a"][0].device == meta and moved["b"][0].device == meta
    out = {"a": torch.zeros(2)}
    dist.cast_data_device({"a": torch.ones(2)}, torch.device("cpu"), out=out)
    assert out["a"].tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="same type"):
        dist.cast_data_device([t], torch.device("cpu"), out=(t,))
    with pytest.raises(TypeError, match="must be a tensor"):
        dist.cast_data_device(np.zeros(2), torch.device("cpu"))
    with pytest.raises(ValueError, match="empty"):
        dist.cast_data_device([], torch.device("cpu"))


def test_init_dist_and_infer_launcher_are_exported(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "SLURM_PROCID", "SLURM_NTASKS"):
        monkeypatch.delenv(var, raising=False)
    assert dist.infer_launcher() == "none"
    dist.init_dist("none", init_backend="torch")  # one process: nothing to start
    with pytest.raises(ConfigError, match="init_backend='deepspeed' is not supported"):
        dist.init_dist("pytorch", init_backend="deepspeed")


def test_local_size_without_a_local_group_or_launcher(monkeypatch: pytest.MonkeyPatch) -> None:
    # distributed, but neither LOCAL_WORLD_SIZE nor init_local_group: MMEngine's RuntimeError
    monkeypatch.delenv("LOCAL_WORLD_SIZE", raising=False)
    monkeypatch.setattr("runner_core.distributed.utils._dist_module", lambda: torch.distributed)
    with pytest.raises(RunnerError, match="init_local_group"):
        dist.get_local_size()
    monkeypatch.setenv("LOCAL_WORLD_SIZE", "4")
    assert dist.get_local_size() == 4


def test_results_to_cpu_keeps_defaultdicts_and_moves_namedtuple_fields() -> None:
    # a metric keeping per-class counts in a defaultdict, or (pred, gt) namedtuples
    from collections import defaultdict, namedtuple

    from runner_core.distributed.collectives import _moved
    from runner_core.structures import BaseDataElement

    class OnDevice:  # stands for a CUDA tensor: what _moved calls .cpu() on
        def cpu(self) -> str:
            return "on the cpu"

    pair = namedtuple("pair", "pred gt")
    counts: defaultdict[str, int] = defaultdict(int, cat=2)
    moved = _moved([pair(OnDevice(), 1), counts], OnDevice, BaseDataElement)
    assert moved[0] == pair("on the cpu", 1) and type(moved[0]) is pair
    assert type(moved[1]) is defaultdict and moved[1]["dog"] == 0 and moved[1]["cat"] == 2
    from runner_core.distributed.collectives import results_to_cpu

    assert results_to_cpu([counts])[0].default_factory is int
