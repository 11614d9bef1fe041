"""init_cfg: the weights a model starts from, as MMEngine's BaseModule.init_weights gives them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from runner_core.model import BaseModel, BaseModule, Sequential


class Net(BaseModule):
    def __init__(self, init_cfg: Any) -> None:
        super().__init__(init_cfg=init_cfg)
        self.body = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.Conv1d(2, 2, 1))
        self.fc = nn.Linear(4, 3)
        self.head = nn.Linear(3, 1)


def test_same_weights_as_mmengine_for_the_same_seed() -> None:
    torch.manual_seed(0)
    net = Net(
        [
            dict(type="Kaiming", layer=["Conv2d", "Linear"], a=0.1),
            dict(type="Normal", layer="BatchNorm2d", mean=1.0, std=0.02, bias=0.5),
            dict(
                type="Xavier",
                layer="Linear",
                distribution="uniform",
                override=dict(name="head", type="Constant", val=0.3, bias=0.1),
            ),
            dict(type="TruncNormal", layer="Conv1d", std=0.5, bias_prob=0.01),
        ]
    )
    net.init_weights()
    sums = {k: round(float(v.sum()), 6) for k, v in net.state_dict().items() if "running" not in k}
    # MMEngine 0.10.7, the same model and seed (printed by its BaseModule.init_weights)
    assert sums == {
        "body.0.weight": 1.021612,
        "body.0.bias": 0.0,
        "body.1.weight": 3.019248,
        "body.1.bias": 1.5,
        "body.1.num_batches_tracked": 0.0,
        "body.2.weight": -0.623035,
        "body.2.bias": -9.19024,
        "fc.weight": -1.461798,
        "fc.bias": 0.0,
        "head.weight": 0.9,
        "head.bias": 0.1,
    }
    before = {key: value.clone() for key, value in net.state_dict().items()}
    net.init_weights()  # a second call leaves the weights alone (and logs a warning)
    assert all(torch.equal(before[key], value) for key, value in net.state_dict().items())


def test_pretrained_weights_are_loaded_last_and_win(tmp_path: Path) -> None:
    source = nn.Linear(4, 3)
    torch.save(
        {"state_dict": {f"fc.{k}": v for k, v in source.state_dict().items()}}, tmp_path / "w.pth"
    )
    net = Net(
        [
            dict(type="Pretrained", checkpoint=str(tmp_path / "w.pth")),
            dict(type="Constant", layer="Linear", val=0.0),
        ]
    )
    net.init_weights()
    assert torch.equal(net.fc.weight, source.weight)  # Constant first, then the checkpoint
    assert float(net.head.weight.detach().abs().sum()) == 0.0
    # a sub-model of a bigger checkpoint: its keys under prefix=
    torch.save(
        {"backbone.fc.weight": source.weight, "backbone.fc.bias": source.bias}, tmp_path / "big.pth"
    )
    part = Sequential(
        init_cfg=dict(type="Pretrained", checkpoint=str(tmp_path / "big.pth"), prefix="backbone")
    )
    part.add_module("fc", nn.Linear(4, 3))
    part.init_weights()
    assert torch.equal(part.fc.weight, source.weight)


def test_a_prefix_matching_no_key_shows_what_the_keys_start_with(tmp_path: Path) -> None:
    weights = {"module.backbone.fc.weight": torch.ones(3, 4), "module.head.bias": torch.ones(3)}
    torch.save(weights, tmp_path / "ddp.pth")
    cfg = dict(type="Pretrained", checkpoint=str(tmp_path / "ddp.pth"), prefix="backbone.")
    with pytest.raises(AssertionError, match=r"use prefix='module\.backbone\.'"):
        Net(cfg).init_weights()
    torch.save({"neck.w": torch.ones(1), "head.w": torch.ones(1)}, tmp_path / "other.pth")
    cfg = dict(type="Pretrained", checkpoint=str(tmp_path / "other.pth"), prefix="backbone")
    with pytest.raises(AssertionError, match=r"its keys start with 'neck\.', 'head\.'\.$"):
        Net(cfg).init_weights()


def test_pretrained_reports_what_did_not_fit_to_the_run_log(tmp_path: Path) -> None:
    import logging

    from runner_core.logging import RunLogger

    weights = {"fc.weight": torch.ones(5, 4), "fc.bias": torch.ones(3)}  # the bias fits
    torch.save({"state_dict": weights}, tmp_path / "w.pth")
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    current = RunLogger.get_current_instance()  # MMEngine's Pretrained: logger='current'
    current.addHandler(handler)
    try:
        Net(dict(type="Pretrained", checkpoint=str(tmp_path / "w.pth"))).init_weights()
    finally:
        current.removeHandler(handler)
    assert any("fc.weight: checkpoint [5, 4] vs model [3, 4]" in r for r in records)


def test_bad_init_cfg_names_the_entry() -> None:
    with pytest.raises(KeyError, match=r"init_cfg\[1\].*Did you mean 'Kaiming'"):
        Net([dict(type="Constant", val=1, layer="Linear"), dict(type="Kaimig")]).init_weights()
    with pytest.raises(TypeError, match="Did you mean 'std'"):
        Net(dict(type="Normal", layer="Linear", sdt=1)).init_weights()
    with pytest.raises(TypeError, match="name='haed' is no submodule.*Did you mean 'head'"):
        Net(dict(type="Constant", val=1, override=dict(name="haed"))).init_weights()


def test_init_cfg_errors_are_the_exception_classes_mmengine_raises(tmp_path: Path) -> None:
    # code written for MMEngine catches these: ValueError / AssertionError, our messages
    with pytest.raises(ValueError, match=r"override\[0\] needs name='<submodule>'"):
        Net(
            dict(type="Constant", val=1, layer="Linear", override=dict(type="Constant", val=2))
        ).init_weights()
    with pytest.raises(AssertionError, match=r"init_cfg must be a dict\(type=..., ...\)"):
        Net(["Constant"]).init_weights()
    torch.save({"state_dict": {"backbone.w": torch.ones(1)}}, tmp_path / "ckpt.pth")
    cfg = dict(type="Pretrained", checkpoint=str(tmp_path / "ckpt.pth"), prefix="neck")
    with pytest.raises(AssertionError, match="starts with 'neck.'"):
        Net(cfg).init_weights()


class InitModel(BaseModel):
    def __init__(self) -> None:
        super().__init__(init_cfg=dict(type="Constant", layer="Linear", val=0.5, bias=0.25))
        self.lin = nn.Linear(2, 1)
        self.calls = 0

    def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
        out = self.lin(inputs)
        return {"loss": (out.squeeze(1) - labels).pow(2).mean()} if mode == "loss" else out


def test_the_runner_initialises_the_model_before_training(tmp_path: Path) -> None:
    model = InitModel()
    _train(model, tmp_path)
    assert model.lin.weight.tolist() == [[0.5, 0.5]] and model.lin.bias.tolist() == [0.25]


class _Pickled:
    """Stands for the MMEngine objects a real checkpoint's message hub pickles."""


class PretrainedModel(InitModel):
    def __init__(self, checkpoint: Path, **pretrained: Any) -> None:
        super().__init__()
        self.init_cfg = dict(type="Pretrained", checkpoint=str(checkpoint), **pretrained)


def _pickled_checkpoint(tmp_path: Path) -> Path:
    path = tmp_path / "mmengine_style.pth"
    weights = {"lin.weight": torch.full((1, 2), 3.0), "lin.bias": torch.full((1,), 4.0)}
    torch.save({"state_dict": weights, "message_hub": _Pickled()}, path)
    return path


def _train(model: BaseModel, tmp_path: Path, **runner_kwargs: Any) -> None:
    from torch.utils.data import TensorDataset

    from runner_core import Runner

    Runner(
        model=model,
        work_dir=tmp_path,
        train_dataloader=dict(
            dataset=TensorDataset(torch.zeros(4, 2), torch.zeros(4)), batch_size=4
        ),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.0)),
        default_hooks_set="none",
        visualizer=False,
        **runner_kwargs,
    ).train()


def test_a_pickled_pretrained_checkpoint_needs_an_opt_in_that_reaches_it(
    tmp_path: Path,
) -> None:
    from runner_core.checkpoint import CheckpointError

    path = _pickled_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match=r"mmengine_style\.pth.*init_cfg Pretrained"):
        _train(PretrainedModel(path), tmp_path / "refused")
    for model, kwargs in (  # the Runner's opt-in (--unsafe-load), or the init_cfg's own
        (PretrainedModel(path), dict(load_cfg=dict(allow_pickle=True))),
        (PretrainedModel(path, allow_pickle=True), {}),
    ):
        _train(model, tmp_path / "opted_in", **kwargs)
        assert model.lin.weight.tolist() == [[3.0, 3.0]] and model.lin.bias.tolist() == [4.0]
    with pytest.raises(CheckpointError):  # its own False wins over the Runner's opt-in
        _train(
            PretrainedModel(path, allow_pickle=False),
            tmp_path / "own_no",
            load_cfg=dict(allow_pickle=True),
        )


def test_an_initializer_registered_in_weight_initializers_is_used() -> None:
    from runner_core.registry import WEIGHT_INITIALIZERS

    class FillInit:
        def __init__(self, val: float, layer: str | None = None) -> None:
            self.val, self.layer = val, layer

        def __call__(self, module: nn.Module) -> None:
            for m in module.modules():
                if type(m).__name__ == self.layer:
                    nn.init.constant_(m.weight, self.val)

    WEIGHT_INITIALIZERS.register_module(name="TFill", module=FillInit)
    try:
        net = Net(dict(type="TFill", layer="Linear", val=0.25))
        net.init_weights()
        assert torch.all(net.fc.weight == 0.25) and torch.all(net.head.weight == 0.25)
    finally:
        WEIGHT_INITIALIZERS.module_dict.pop("TFill")


# the helpers OpenMMLab heads call in their own init_weights(): MMEngine 0.10.7's numbers,
# (weight sum, bias sum) of a Conv2d(3, 4, 3) built and initialised right after manual_seed(0)
HELPER_SUMS = [
    ("constant_init", dict(val=0.5, bias=0.25), (54.0, 1.0)),
    ("xavier_init", dict(gain=2, distribution="uniform", bias=0.1), (-4.97123, 0.4)),
    ("xavier_init", {}, (-0.20716, 0.0)),
    ("normal_init", dict(mean=1, std=0.1), (107.88373, 0.0)),
    ("trunc_normal_init", dict(std=0.5, a=-0.3, b=0.4), (1.83398, 0.0)),
    ("uniform_init", dict(a=-1, b=2, bias=3), (41.91854, 12.0)),
    ("kaiming_init", {}, (-0.27404, 0.0)),
    (
        "kaiming_init",
        dict(a=0.1, mode="fan_in", nonlinearity="leaky_relu", distribution="uniform"),
        (-3.77799, 0.0),
    ),
    ("caffe2_xavier_init", dict(bias=1), (-2.68477, 4.0)),
]


@pytest.mark.parametrize(("name", "kwargs", "sums"), HELPER_SUMS)
def test_init_helpers_give_mmengines_weights(
    name: str, kwargs: dict, sums: tuple[float, float]
) -> None:
    import runner_core.model

    torch.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3)
    getattr(runner_core.model, name)(conv, **kwargs)
    weight, bias = conv.weight.detach(), conv.bias.detach()
    assert (round(float(weight.sum()), 5), round(float(bias.sum()), 5)) == sums


def test_init_helpers_skip_a_missing_bias_and_check_the_distribution() -> None:
    from runner_core.model import constant_init, kaiming_init, xavier_init

    linear = nn.Linear(2, 2, bias=False)
    constant_init(linear, 0.5)
    assert linear.weight.tolist() == [[0.5, 0.5], [0.5, 0.5]]
    constant_init(nn.ReLU(), 1)  # no weight, no bias: nothing to do
    with pytest.raises(AssertionError, match="'uniform' or 'normal'"):
        kaiming_init(linear, distribution="gauss")
    with pytest.raises(ValueError, match="'uniform' or 'normal'"):
        xavier_init(linear, distribution="gauss")


def test_the_init_cfg_names_are_the_public_initializer_classes() -> None:
    from runner_core.model import (
        Caffe2XavierInit,
        ConstantInit,
        KaimingInit,
        NormalInit,
        PretrainedInit,
        TruncNormalInit,
        UniformInit,
        XavierInit,
    )
    from runner_core.registry import WEIGHT_INITIALIZERS

    for cls in (
        ConstantInit,
        XavierInit,
        NormalInit,
        TruncNormalInit,
        UniformInit,
        KaimingInit,
        Caffe2XavierInit,
        PretrainedInit,
    ):
        short = cls.__name__[: -len("Init")]
        assert WEIGHT_INITIALIZERS.get(short) is cls
        assert WEIGHT_INITIALIZERS.get(cls.__name__) is cls
    # called directly, as MMEngine's: layer names a class or a direct base
    net = nn.Sequential(nn.Conv2d(1, 2, 1), nn.Linear(2, 2))
    ConstantInit(val=2, bias=1, layer="_ConvNd")(net)
    assert net[0].weight.sum().item() == 4.0 and net[0].bias.tolist() == [1.0, 1.0]
    assert net[1].weight.sum().item() != 8.0
    init = KaimingInit(bias_prob=0.01, layer=["Linear"])
    assert init.bias == pytest.approx(-4.59512) and init.layer == ["Linear"]


def test_a_base_init_subclass_registered_by_a_user_works_from_init_cfg() -> None:
    from runner_core.model import BaseInit
    from runner_core.registry import WEIGHT_INITIALIZERS

    class HalfInit(BaseInit):  # MMEngine's way: __call__ walks the module itself
        def __init__(self, scale: float = 0.5, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.scale = scale

        def __call__(self, module: nn.Module) -> None:
            for m in module.modules():
                if self.wholemodule or type(m).__name__ in self.layer:
                    nn.init.constant_(m.weight, self.scale)
                    nn.init.constant_(m.bias, self.bias)

    WEIGHT_INITIALIZERS.register_module(module=HalfInit)
    try:
        net = Net(
            dict(type="HalfInit", layer="Linear", bias=0.1, override=dict(name="head", scale=2.0))
        )
        net.init_weights()
        assert torch.all(net.fc.weight == 0.5) and torch.all(net.fc.bias == 0.1)
        assert torch.all(net.head.weight == 2.0)  # the override: the whole 'head'
    finally:
        WEIGHT_INITIALIZERS.module_dict.pop("HalfInit")


def test_an_override_initialises_every_submodule_of_its_target() -> None:
    class Model(BaseModule):
        def __init__(self) -> None:
            super().__init__(
                init_cfg=dict(
                    type="Normal",
                    layer="Conv2d",
                    std=0.1,
                    override=dict(name="head", type="Kaiming", bias=0.5),
                )
            )
            self.conv = nn.Conv2d(2, 2, 1)
            self.head = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))

    torch.manual_seed(0)
    model = Model()
    model.init_weights()
    sums = {k: round(float(v.sum()), 5) for k, v in model.state_dict().items()}
    # MMEngine 0.10.7, the same model and seed
    assert sums == {
        "conv.weight": 0.18383,
        "conv.bias": 0.0,
        "head.0.weight": 2.27552,
        "head.0.bias": 1.5,
        "head.2.weight": 1.5842,
        "head.2.bias": 0.5,
    }


def test_update_init_info_records_the_changed_parameters() -> None:
    from runner_core.model import ConstantInit, update_init_info

    linear = nn.Linear(2, 2)
    nn.init.zeros_(linear.bias)  # ConstantInit's bias=0 leaves it as it is
    linear._params_init_info = {  # type: ignore[assignment]
        p: {"init_info": "default", "tmp_mean_value": p.data.mean()} for p in linear.parameters()
    }
    ConstantInit(val=3, layer="Linear")(linear)  # calls update_init_info itself
    infos = [linear._params_init_info[p]["init_info"] for p in linear.parameters()]  # type: ignore[index]
    assert infos == ["ConstantInit: val=3, bias=0", "default"]  # only what changed
    with pytest.raises(AssertionError, match="_params_init_info"):
        update_init_info(nn.Linear(1, 1), "x")


def test_module_dict_takes_init_cfg() -> None:
    from runner_core.model import ModuleDict

    heads = ModuleDict(
        dict(cls=nn.Linear(2, 2), reg=nn.Linear(2, 1)),
        init_cfg=dict(type="Constant", layer="Linear", val=0.5, bias=0.25),
    )
    assert isinstance(heads, BaseModule) and isinstance(heads, nn.ModuleDict)
    heads.init_weights()
    assert heads["reg"].weight.tolist() == [[0.5, 0.5]] and heads["cls"].bias.tolist() == [
        0.25,
        0.25,
    ]


def test_malformed_init_cfg_and_override_are_named_in_the_error() -> None:
    # MMEngine: AssertionError (init_cfg), TypeError (override), KeyError('type')
    with pytest.raises(AssertionError, match=r"Net.init_cfg must be a dict.*or a list of them, "):
        Net("Kaiming").init_weights()  # used to complain about the character 'K'
    with pytest.raises(TypeError, match=r"init_cfg.override must be a dict\(name="):
        Net(dict(type="Normal", layer="Linear", override="head")).init_weights()
    with pytest.raises(TypeError, match=r"override\[0\] must be a dict"):
        Net(dict(type="Normal", layer="Linear", override=["head"])).init_weights()
    with pytest.raises(KeyError, match=r"init_cfg\[1\] has no type="):
        Net([dict(type="Normal", layer="Linear"), dict(layer="Linear")]).init_weights()


def test_an_initializers_own_refusal_names_the_module_and_entry() -> None:
    """The initializer knows its class, not whose init_cfg it came from: the error says."""

    class Outer(BaseModule):
        def __init__(self, inner_cfg: Any) -> None:
            super().__init__()
            self.inner = Net(inner_cfg)

    with pytest.raises(ValueError, match=r"^Net.init_cfg\[1\]: distribution must be"):
        Outer(
            [dict(type="Constant", val=1), dict(type="Xavier", distribution="gaussian")]
        ).init_weights()
    with pytest.raises(TypeError, match=r"^Net.init_cfg: NormalInit: layer must be"):
        Outer(dict(type="Normal", layer=5)).init_weights()
    override = dict(name="fc", type="Xavier", distribution="gaussian")
    with pytest.raises(ValueError, match=r"^Net.init_cfg.override\[0\]: distribution must"):
        Outer(dict(type="Normal", layer="Conv2d", override=override)).init_weights()


def test_bias_init_with_prob_is_mmengines_to_the_last_bit() -> None:
    from runner_core.model import bias_init_with_prob

    # MMEngine 0.10.7's values: numpy's log, whose last bit depends on the CPU (its SIMD
    # kernels); on an Intel Xeon -0.16436906878593616 where math.log gives ...613
    for prob in (0.459, 0.496, 0.01):
        assert bias_init_with_prob(prob) == float(-np.log((1 - prob) / prob))
    assert bias_init_with_prob(0.01) == pytest.approx(-4.59511985013459, abs=1e-15)


def test_trunc_normal_warns_when_the_mean_is_far_outside_the_bounds() -> None:
    from runner_core.model import trunc_normal_init

    torch.manual_seed(0)
    linear = nn.Linear(3, 3)
    with pytest.warns(UserWarning, match="more than 2 std"):
        trunc_normal_init(linear, mean=5, std=1, a=-2, b=2)
    assert bool(((linear.weight > 0) & (linear.weight <= 2)).all())  # still cut to [a, b]


def test_a_module_that_sets_mmengines_is_init_itself_is_not_initialised_again() -> None:
    """mmcv's MultiScaleDeformableAttention ends its init_weights with self._is_init = True."""
    from torch import nn

    from runner_core.model import BaseModule

    class SelfInit(BaseModule):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def init_weights(self) -> None:
            nn.init.constant_(self.fc.weight, 3.0)
            self._is_init = True

    class Parent(BaseModule):
        def __init__(self) -> None:
            super().__init__(init_cfg=dict(type="Constant", val=1.0, layer="Linear"))
            self.attn = SelfInit()

    model = Parent()
    model.attn.init_weights()
    assert model.attn.is_init
    model.init_weights()  # the parent's Constant init reaches the child's Linear, as in MMEngine
    assert model.is_init and model._is_init
    assert model.attn.fc.weight.eq(1.0).all()  # the child's own init is not run again
    assert "init_cfg={'type': 'Constant'" in repr(model)
    assert "init_cfg" not in repr(nn.Sequential()) and "init_cfg" not in repr(SelfInit())


def test_a_data_preprocessor_that_is_not_one_is_a_type_error() -> None:
    from runner_core.errors import BuildError
    from runner_core.model import BaseModel

    class Model(BaseModel):
        def forward(self, *args: Any, **kwargs: Any) -> Any:
            return None

    with pytest.raises(TypeError, match="data_preprocessor") as info:
        Model(data_preprocessor="ImgDataPreprocessor")  # type: ignore[arg-type]
    assert isinstance(info.value, BuildError)


def test_a_module_pickled_with_is_init_in_its_dict_keeps_it() -> None:
    """Modules pickled before is_init became a property over _is_init still load and say so."""
    import pickle

    from runner_core.model import BaseModule

    module = BaseModule()
    state = module.__dict__
    state["is_init"] = state.pop("_is_init")  # how an older pickle holds it
    state["is_init"] = True
    loaded = pickle.loads(pickle.dumps(module))
    assert loaded.is_init
    before = {key: value.clone() for key, value in loaded.state_dict().items()}
    loaded.init_weights()  # leaves the weights alone
    assert all(torch.equal(before[key], value) for key, value in loaded.state_dict().items())


# -- found side by side with MMEngine 0.10.7 ----------------------------------------------------
class _Net(BaseModule):
    def __init__(self, init_cfg: Any = None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(3, 2)
        self.cls = nn.Linear(2, 2)


@pytest.mark.parametrize("empty", [{}, [], ""])
def test_an_empty_init_cfg_means_none_as_in_mmengine(empty: Any) -> None:
    torch.manual_seed(0)
    net = _Net(init_cfg=empty)
    before = {key: value.clone() for key, value in net.state_dict().items()}
    net.init_weights()  # mmpretrain fine-tune configs switch initialisation off so
    assert net.is_init
    assert all(torch.equal(before[key], value) for key, value in net.state_dict().items())


def test_an_override_on_a_pretrained_entry_applies_after_the_load(tmp_path: Path) -> None:
    source = _Net()
    torch.save(source.state_dict(), tmp_path / "w.pth")
    net = _Net(
        init_cfg=dict(
            type="Pretrained",
            checkpoint=str(tmp_path / "w.pth"),
            override=dict(name="cls", type="Constant", val=0.0),
        )
    )
    net.init_weights()
    assert torch.equal(net.fc.weight, source.fc.weight)
    assert net.cls.weight.eq(0).all() and net.cls.bias.eq(0).all()


def test_only_a_registered_wrapper_child_is_unwrapped_for_its_init_weights() -> None:
    class Holder(nn.Module):  # holds a module under `.module`, but is no model wrapper
        def __init__(self) -> None:
            super().__init__()
            self.module = _Net(init_cfg=dict(type="Constant", val=3.0, layer="Linear"))

    class Outer(BaseModule):
        def __init__(self) -> None:
            super().__init__()
            self.holder = Holder()

    torch.manual_seed(0)
    outer = Outer()
    default = outer.holder.module.fc.weight.clone()
    outer.init_weights()
    # MMEngine reaches a child's init_weights only, or a wrapper's module: PyTorch's init stays
    assert torch.equal(outer.holder.module.fc.weight, default)


def test_missing_batchnorm_counters_are_not_reported(tmp_path: Path) -> None:
    from runner_core.logging import MMLogger

    class WithNorm(BaseModule):
        def __init__(self, init_cfg: Any = None) -> None:
            super().__init__(init_cfg=init_cfg)
            self.conv = nn.Conv2d(1, 2, 1)
            self.bn = nn.BatchNorm2d(2)

    state = {k: v for k, v in WithNorm().state_dict().items() if "num_batches_tracked" not in k}
    torch.save(state, tmp_path / "old_torchvision_style.pth")
    log_file = tmp_path / "run.log"
    MMLogger.get_instance("nbt", log_file=str(log_file))
    net = WithNorm(
        init_cfg=dict(type="Pretrained", checkpoint=str(tmp_path / "old_torchvision_style.pth"))
    )
    net.init_weights()
    assert torch.equal(net.bn.running_mean, state["bn.running_mean"])
    assert "num_batches_tracked" not in log_file.read_text()  # as MMEngine, which filters them


def test_each_module_with_an_init_cfg_is_named_at_debug_level(tmp_path: Path) -> None:
    from runner_core.logging import MMLogger

    log_file = tmp_path / "debug.log"
    MMLogger.get_instance("init-debug", log_file=str(log_file), log_level="DEBUG")
    _Net(init_cfg=dict(type="Constant", val=1.0, layer="Linear")).init_weights()
    assert "DEBUG - initialize _Net with init_cfg {'type': 'Constant'" in log_file.read_text()


def test_a_subclass_leaving_an_abstract_method_is_refused_as_in_mmengine() -> None:
    from abc import abstractmethod

    class Head(BaseModule):
        @abstractmethod
        def loss(self) -> None: ...

    with pytest.raises(TypeError, match="abstract method loss"):
        Head()
