"""convert_sync_batchnorm / revert_sync_batchnorm: BN <-> SyncBN with the state kept."""

from __future__ import annotations

import torch
from torch import nn


def test_sync_batchnorm_is_converted_and_reverted_with_its_state() -> None:
    from runner_core.model import convert_sync_batchnorm, is_model_wrapper, revert_sync_batchnorm

    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    model[1].running_mean.fill_(0.5)
    synced = convert_sync_batchnorm(model)
    assert isinstance(synced[1], nn.SyncBatchNorm)
    plain = revert_sync_batchnorm(synced)
    assert not any(isinstance(m, nn.SyncBatchNorm) for m in plain.modules())
    assert plain[1].running_mean.tolist() == [0.5] * 4
    plain.eval()
    assert plain(torch.ones(2, 3, 5, 5)).shape == (2, 4, 5, 5)  # runs in one process
    assert not is_model_wrapper(plain)


def test_sync_bn_torch_converts_only_in_a_distributed_run_on_gpu_ranks() -> None:
    from runner_core.model.sync_bn import sync_bn_for_run

    def model() -> nn.Module:
        net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
        net[1].running_mean.fill_(0.5)
        return net

    synced = sync_bn_for_run(model(), "torch", "cuda", distributed=True)  # types only: no GPU used
    assert isinstance(synced[1], nn.SyncBatchNorm)
    assert synced[1].running_mean.tolist() == [0.5] * 4
    assert type(sync_bn_for_run(model(), "torch", "cuda", distributed=False)[1]) is nn.BatchNorm1d
    assert type(sync_bn_for_run(model(), None, "cuda", distributed=True)[1]) is nn.BatchNorm1d


def test_sync_bn_refuses_cpu_ranks_mmcv_and_other_values() -> None:
    import pytest

    from runner_core.errors import ConfigError
    from runner_core.model import convert_sync_batchnorm
    from runner_core.model.sync_bn import sync_bn_for_run

    net = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    with pytest.raises(ConfigError, match=r"sync_bn='torch'.*GPU.*Remove sync_bn"):
        sync_bn_for_run(net, "torch", "cpu", distributed=True)  # torch's forward fails there
    with pytest.raises(ValueError, match=r"sync_bn must be 'torch'.*'mmcv'.*not available"):
        sync_bn_for_run(net, "mmcv", "cuda", distributed=True)  # MMEngine's ValueError class
    assert sync_bn_for_run(net, "mmcv", "cpu", distributed=False) is net  # unused: as MMEngine
    with pytest.raises(ValueError, match=r"sync_bn must be 'torch'.*got 'Torch'"):
        sync_bn_for_run(net, "Torch", "cpu", distributed=False)  # a typo fails in one process too
    with pytest.raises(ValueError, match="implementation must be 'torch'"):
        convert_sync_batchnorm(net, "mmcv")
    assert isinstance(convert_sync_batchnorm(net, "torch")[1], nn.SyncBatchNorm)  # MMEngine's call


def test_revert_keeps_the_quantisation_config() -> None:
    # quantisation-aware training (mmrazor) sets qconfig on the BN layers, as MMEngine keeps it
    from runner_core.model import revert_sync_batchnorm

    synced = nn.SyncBatchNorm(4)
    synced.qconfig = torch.ao.quantization.get_default_qat_qconfig()
    assert revert_sync_batchnorm(synced).qconfig is synced.qconfig


def test_a_module_that_refuses_add_module_is_left_alone_where_nothing_changes() -> None:
    from torch import nn

    from runner_core.model import revert_sync_batchnorm

    class NoAddModule(nn.Module):  # MMEngine issue #638
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.Linear(1, 1)

        def add_module(self, name: str, module: nn.Module | None) -> None:
            raise ValueError("add_module not supported")

    model = nn.Sequential(NoAddModule(), nn.SyncBatchNorm(2))
    reverted = revert_sync_batchnorm(model)
    assert isinstance(reverted[1], nn.modules.batchnorm._BatchNorm)
    assert not isinstance(reverted[1], nn.SyncBatchNorm)
    assert reverted[0] is model[0]


def test_a_single_process_run_reverts_the_models_sync_bn_as_mmengine(tmp_path) -> None:
    from runner_core import Runner
    from runner_core.model import ModuleAdapter

    net = nn.Sequential(nn.Linear(3, 4), nn.SyncBatchNorm(4), nn.Linear(4, 2))
    net[1].running_mean.fill_(0.5)
    weight = net[1].weight
    data = torch.utils.data.TensorDataset(torch.randn(8, 3), torch.randint(0, 2, (8,)))
    runner = Runner(
        model=ModuleAdapter(net),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
    )
    bn = runner.model.module[1]
    assert not isinstance(bn, nn.SyncBatchNorm)  # trained and exported as it runs
    assert bn.weight is weight and bn.running_mean.tolist() == [0.5] * 4
    runner.train()  # the BatchNorm trains in one process
    assert bn.num_batches_tracked.item() == 2
