"""BaseModel: MMEngine's names that loops written for it call."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import torch
import torch.nn.functional as F

from runner_core.errors import RunnerError
from runner_core.model import BaseModel


class Echo(BaseModel):
    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        return (inputs, data_samples, mode)


def test_run_forward_unpacks_data_as_mmengine() -> None:
    model, x = Echo(), torch.ones(2)
    assert model._run_forward({"inputs": x, "data_samples": [1]}, mode="predict") == (
        x,
        [1],
        "predict",
    )
    assert model._run_forward((x, [2]), mode="loss") == (x, [2], "loss")
    assert model._run_forward([x], mode="tensor") == (x, None, "tensor")
    assert model._run_forward(x, mode="predict") == (x, None, "predict")


def test_a_models_own_run_forward_is_what_its_steps_call() -> None:
    """MMEngine's steps go through ``self._run_forward``: models override it to unpack
    their batches (``data['img']``), and all three steps must use the override."""
    from runner_core.optim import OptimWrapper

    class Unpacking(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(2, 1)

        def _run_forward(self, data: Any, mode: str) -> Any:
            return self(data["img"], data["label"], mode=mode)

        def forward(self, x: Any, y: Any = None, mode: str = "tensor") -> Any:
            out = self.fc(x)
            return {"loss": ((out - y) ** 2).mean()} if mode == "loss" else out

    model = Unpacking()
    data = {"img": torch.ones(4, 2), "label": torch.zeros(4, 1)}
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    assert set(model.train_step(data, wrapper)) == {"loss"}
    assert model.val_step(data).shape == (4, 1) and model.test_step(data).shape == (4, 1)


@pytest.mark.filterwarnings("error")  # a log line, as MMEngine's; not a Python warning
def test_initialising_twice_is_logged_to_the_console_and_the_runs_log(
    tmp_path: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from runner_core.logging import MMLogger

    log_file = tmp_path / "run.log"
    MMLogger.get_instance("init-twice", log_file=str(log_file))
    model = Echo()
    model.init_weights()
    model.init_weights()
    line = "WARNING - init_weights of Echo has been called more than once"
    assert line in log_file.read_text()
    assert line in capsys.readouterr().out


# -- ModuleAdapter's default loss: cross-entropy, refused where it cannot train ------------------
def _sgd(module: torch.nn.Module) -> Any:
    from runner_core.optim import OptimWrapper

    return OptimWrapper(torch.optim.SGD(module.parameters(), lr=0.1))


def test_a_one_column_output_with_the_default_loss_is_refused_at_the_first_step() -> None:
    from runner_core.model import ModuleAdapter

    torch.manual_seed(0)
    adapter = ModuleAdapter(torch.nn.Linear(4, 1))  # regression: cross-entropy would be 0
    before = adapter.module.weight.detach().clone()
    batch = (torch.randn(8, 4), torch.randn(8, 1))
    with pytest.raises(AssertionError, match="one output column") as info:
        adapter.train_step(batch, _sgd(adapter))
    assert isinstance(info.value, RunnerError)
    assert "Linear" in str(info.value) and "loss_fn=torch.nn.functional.mse_loss" in str(info.value)
    assert torch.equal(adapter.module.weight, before)  # nothing was stepped
    with pytest.raises(AssertionError, match="one output column"):  # forward(mode='loss') too
        adapter(batch[0], batch[1], mode="loss")


def test_the_default_loss_is_cross_entropy_itself_after_its_first_call() -> None:
    from runner_core.model import ModuleAdapter

    torch.manual_seed(0)
    adapter = ModuleAdapter(torch.nn.Linear(4, 3))
    twin = copy.deepcopy(adapter)
    x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
    expected = F.cross_entropy(adapter.module(x), y)
    out = adapter.train_step((x, y), _sgd(adapter))
    assert torch.equal(out["loss"], expected.detach())
    assert adapter.loss_fn is F.cross_entropy  # later steps call it directly
    # a copy made before the first step checks its own first step and swaps its own loss_fn
    assert twin.loss_fn is not F.cross_entropy
    assert torch.equal(twin(x, y, mode="loss")["loss"], expected)
    assert twin.loss_fn is F.cross_entropy


def test_a_one_column_output_trains_with_the_loss_fn_given() -> None:
    from runner_core.model import ModuleAdapter

    torch.manual_seed(0)
    adapter = ModuleAdapter(torch.nn.Linear(4, 1), loss_fn=F.mse_loss)
    x = torch.randn(32, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    wrapper = _sgd(adapter)
    losses = [float(adapter.train_step((x, y), wrapper)["loss"]) for _ in range(20)]
    assert losses[-1] < losses[0] / 2


# -- ModuleAdapter from a config: registered in MODELS, module and loss_fn by config --------------
def test_a_config_builds_the_adapter_with_a_module_dict_and_a_functional_loss_name() -> None:
    from runner_core.model import ModuleAdapter
    from runner_core.registry import MODELS

    cfg = dict(
        type="ModuleAdapter",
        module=dict(type="Linear", in_features=4, out_features=1),
        loss_fn="mse_loss",
    )
    adapter = MODELS.build(cfg, _key_path="model")
    assert isinstance(adapter, ModuleAdapter)
    assert isinstance(adapter.module, torch.nn.Linear) and adapter.module.out_features == 1
    assert adapter.loss_fn is F.mse_loss
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    expected = F.mse_loss(adapter.module(x), y)
    assert torch.equal(adapter.train_step((x, y), _sgd(adapter))["loss"], expected.detach())


def test_a_loss_module_config_is_built_from_models_with_torch_nn_losses() -> None:
    from runner_core.registry import MODELS

    adapter = MODELS.build(
        dict(
            type="ModuleAdapter",
            module=dict(type="Linear", in_features=4, out_features=1),
            loss_fn=dict(type="L1Loss", reduction="sum"),
        )
    )
    assert isinstance(adapter.loss_fn, torch.nn.L1Loss) and adapter.loss_fn.reduction == "sum"
    x, y = torch.randn(8, 4), torch.randn(8, 1)
    expected = F.l1_loss(adapter.module(x), y, reduction="sum")
    assert torch.allclose(adapter(x, y, mode="loss")["loss"], expected)


@pytest.mark.parametrize(
    ("loss_fn", "message"),
    [
        ("mse_los", r"model\.loss_fn='mse_los' names no loss.*Did you mean 'mse_loss'"),
        ("MSELoss", r"'MSELoss' is a torch\.nn class: write loss_fn=dict\(type='MSELoss'\)"),
    ],
)
def test_an_unknown_loss_name_is_a_key_error_that_says_what_to_write(
    loss_fn: str, message: str
) -> None:
    from runner_core.registry import MODELS

    cfg = dict(type="ModuleAdapter", module=dict(type="Linear", in_features=2, out_features=2))
    with pytest.raises(KeyError, match=message) as info:
        MODELS.build({**cfg, "loss_fn": loss_fn}, _key_path="model")
    assert isinstance(info.value, RunnerError)


def test_a_module_or_loss_that_is_not_one_is_a_type_error() -> None:
    from runner_core.model import ModuleAdapter

    with pytest.raises(TypeError, match=r"ModuleAdapter adapts an nn\.Module, but model\.module"):
        ModuleAdapter(F.relu)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"model\.loss_fn must be a loss.*got int"):
        ModuleAdapter(torch.nn.Linear(2, 2), loss_fn=3)  # type: ignore[arg-type]


def test_the_runner_trains_a_config_adapter_with_its_loss(tmp_path) -> None:
    from torch.utils.data import TensorDataset

    from runner_core.runner import Runner

    torch.manual_seed(0)
    x = torch.randn(32, 4)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5], [3.0]])
    runner = Runner(
        model=dict(
            type="ModuleAdapter",
            module=dict(type="Linear", in_features=4, out_features=1),
            loss_fn="mse_loss",
        ),
        work_dir=str(tmp_path),
        train_dataloader=dict(
            dataset=TensorDataset(x, y), batch_size=32, sampler=dict(type="DefaultSampler")
        ),
        train_cfg=dict(by_epoch=True, max_epochs=20),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        default_hooks=dict(checkpoint=None, logger=None),
    )
    # the Runner put the model on the GPU where there is one: the data follows it
    device = next(runner.model.parameters()).device
    x, y = x.to(device), y.to(device)
    start = F.mse_loss(runner.model.module(x), y).item()
    runner.train()
    assert F.mse_loss(runner.model.module(x), y).item() < start / 4


def test_a_models_own_loss_term_is_logged_first_as_in_mmengine() -> None:
    # MMEngine's log_vars has 'loss' first whatever the model's order: the log line's order
    loss, log_vars = Echo().parse_losses(dict(loss_cls=torch.tensor(1.0), loss=torch.tensor(2.0)))
    assert list(log_vars) == ["loss", "loss_cls"]
    assert log_vars["loss"].item() == 2.0 and loss.item() == 3.0


def test_a_logged_parameter_shows_its_value_at_the_step_not_after_it() -> None:
    """A term that is a parameter or a view of one (a learned temperature) is logged as it
    was when the loss was computed: the optimizer step changes it in place afterwards."""
    from runner_core.model.base_model import parse_losses

    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    tau = torch.nn.Parameter(torch.tensor(3.0))
    computed = (w * 2).sum()
    loss, log_vars = parse_losses(dict(loss_w=w[0], tau=tau, loss_c=computed))
    with torch.no_grad():
        w.sub_(0.5)
        tau.mul_(0.1)
    assert log_vars["loss_w"].item() == 1.0 and log_vars["tau"].item() == 3.0
    assert log_vars["loss_c"].item() == 6.0
    total, only = parse_losses(dict(loss_w=w[1]))  # the total is the term itself
    with torch.no_grad():
        w.sub_(1.0)
    assert only["loss"].item() == only["loss_w"].item() == 1.5


def test_parse_losses_compiles_without_a_graph_break() -> None:
    """train_step is what compile=True compiles: reading a term's grad_fn broke its graph."""
    from runner_core.model.base_model import parse_losses

    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    compiled = torch.compile(parse_losses, fullgraph=True, backend="eager")
    total, log_vars = compiled(dict(loss_a=(w * 2).sum(), loss_b=w[0]))
    assert total.item() == 7.0 and log_vars["loss_b"].item() == 1.0
    torch._dynamo.reset()


def test_parse_losses_runs_on_a_torch_without_torch_compiler_is_compiling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """torch.compiler.is_compiling exists from torch 2.3; the packages take torch 2.1."""
    from runner_core.model.base_model import parse_losses

    monkeypatch.delattr(torch.compiler, "is_compiling")
    w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    assert parse_losses(dict(loss=w[0]))[1]["loss"].item() == 1.0


def test_a_model_without_forward_is_refused_when_built_as_mmengines_abstract_base() -> None:
    class NoForward(BaseModel):
        pass

    with pytest.raises(TypeError, match="abstract method forward"):
        NoForward()


def test_a_forward_returning_none_says_how_to_skip_a_batch() -> None:
    """Lightning's training_step may return None to skip a batch; here train_step does."""
    from runner_core.model.base_model import parse_losses

    with pytest.raises(TypeError, match="got NoneType. To skip a batch") as info:
        parse_losses(None)
    assert "return {} without calling optim_wrapper.update_params" in str(info.value)
    with pytest.raises(TypeError, match="got str.$"):
        parse_losses("loss")


def test_a_non_scalar_tensor_from_forward_is_refused_naming_the_model() -> None:
    """A forward whose mode check has a typo returns its output: a (1, 1) one used to train,
    minimising the prediction; MMEngine refuses every tensor."""
    from runner_core.optim import OptimWrapper

    class Typo(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.fc = torch.nn.Linear(4, 1)

        def forward(self, inputs: Any, mode: str = "tensor") -> Any:
            out = self.fc(inputs)
            return {"loss": out.mean()} if mode == "losses" else out

    model = Typo()
    wrapper = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(TypeError, match=r"Typo.forward\(mode='loss'\) returned a tensor of shape"):
        model.train_step(torch.randn(1, 4), wrapper)
    assert model.fc.weight.grad is None  # nothing back-propagated
    with pytest.raises(TypeError, match=r"^Typo.forward\(mode='loss'\) must return a dict"):
        model.parse_losses([torch.tensor(1.0)])
    from runner_core.model.base_model import parse_losses

    assert parse_losses(torch.tensor(2.0))[0].item() == 2.0  # a scalar alone is the loss


def test_a_plain_modules_weights_move_between_the_runner_and_plain_pytorch(tmp_path) -> None:
    """``load_from`` of ``torch.save(net.state_dict())`` was refused as another model's (the
    adapter's keys carry ``module.``); the Runner's file loads into the plain module with
    ``load_checkpoint``, which strips that prefix as MMEngine's does."""
    from torch import nn

    from runner_core import Runner
    from runner_core.runner import load_checkpoint

    def net() -> nn.Module:
        return nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))

    data = torch.utils.data.TensorDataset(torch.randn(8, 4), torch.randint(0, 3, (8,)))
    trained = Runner(
        model=net(),
        work_dir=str(tmp_path / "run"),
        train_dataloader=dict(dataset=data, batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
    )
    trained.train()
    plain = net()
    load_checkpoint(plain, str(tmp_path / "run" / "epoch_1.pth"), strict=True)
    assert torch.equal(plain[0].weight, trained.model.module[0].weight)

    torch.save(plain.state_dict(), tmp_path / "plain.pth")
    tuned = Runner(
        model=net(),
        work_dir=str(tmp_path / "tune"),
        load_from=str(tmp_path / "plain.pth"),
        test_dataloader=dict(dataset=data, batch_size=4),
        test_evaluator=dict(type="Accuracy"),
    )
    tuned.test()
    assert torch.equal(tuned.model.module[1].running_mean, plain[1].running_mean)


def test_a_dict_batch_without_targets_names_the_keys_a_plain_module_reads() -> None:
    from torch import nn

    from runner_core.model.base_model import ModelContractError, ModuleAdapter
    from runner_core.optim import OptimWrapper

    adapter = ModuleAdapter(nn.Linear(4, 3))
    wrapper = OptimWrapper(torch.optim.SGD(adapter.parameters(), lr=0.1))
    batch = {"inputs": torch.randn(2, 4), "data_samples": [1, 2]}
    with pytest.raises(ModelContractError, match=r"keys \['inputs', 'data_samples'\].*'labels'"):
        adapter.train_step(batch, wrapper)
    with pytest.raises(ModelContractError, match=r"keys \['img'\].*under 'inputs'"):
        adapter.val_step({"img": torch.randn(2, 4)})


def test_a_nested_models_preprocessor_error_names_its_own_key() -> None:
    from runner_core.errors import RegistryError
    from runner_core.registry import MODELS

    class Outer(BaseModel):
        def __init__(self, teacher: dict) -> None:
            super().__init__()
            self.teacher = MODELS.build(teacher)

        def forward(self, *args: Any, **kwargs: Any) -> Any:
            return {}

    class Teacher(Outer):
        def __init__(self, data_preprocessor: dict) -> None:
            BaseModel.__init__(self, data_preprocessor)

    with MODELS.switch_scope_and_registry(None):
        MODELS.register_module(module=Outer, force=True)
        MODELS.register_module(module=Teacher, force=True)
        try:
            cfg = dict(
                type="Outer",
                teacher=dict(type="Teacher", data_preprocessor=dict(type="ImgDataPreprocesor")),
            )
            with pytest.raises(RegistryError, match=r"model\.teacher\.data_preprocessor"):
                MODELS.build(cfg, _key_path="model")
        finally:
            MODELS.module_dict.pop("Outer", None)
            MODELS.module_dict.pop("Teacher", None)
