"""The Runner takes MMEngine's arguments and offers its shortcuts, with its meaning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Runner
from runner_core.checkpoint import read_pointer
from runner_core.errors import ConfigError
from runner_core.hooks import Hook
from runner_core.model import ModuleAdapter


def _runner(work_dir: Path, max_epochs: int, **kwargs: Any) -> Runner:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(8, 2, generator=g)
    return Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),  # a regression
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
        default_hooks=dict(logger=dict(interval=1, progress_bar=False)),
        **kwargs,
    )


def test_an_exported_checkpoint_does_not_become_the_resume_point(tmp_path: Path) -> None:
    """MMEngine's save_checkpoint leaves last_checkpoint alone: auto-resume takes epoch_2,
    with its optimizer state, not a weights-only export."""
    run = _runner(tmp_path / "wd", 2)
    run.train()
    run.save_checkpoint(
        run.work_dir, "deploy.pth", save_optimizer=False, save_param_scheduler=False
    )
    run.save_checkpoint(tmp_path / "exports", "deploy.pth", None, False, False)  # positional
    assert read_pointer(run.work_dir) == (run.work_dir / "epoch_2.pth").absolute()
    assert "optimizer" not in torch.load(tmp_path / "exports" / "deploy.pth", weights_only=True)


def test_storage_arguments_name_the_local_disk_only(tmp_path: Path) -> None:
    run = _runner(tmp_path, 1)
    run.train()
    run.save_checkpoint(tmp_path, "a.pth", dict(backend="local"), by_epoch=False)
    with pytest.raises(ConfigError, match="local disk only"):
        run.save_checkpoint(tmp_path, "b.pth", backend_args=dict(backend="petrel"))
    with pytest.raises(TypeError):
        run.save_checkpoint(tmp_path, "c.pth", save_optimzer=False)  # type: ignore[call-arg]


def test_a_checkpoint_saved_from_an_mmengine_style_hook(tmp_path: Path) -> None:
    """MMEngine's CheckpointHook calls save_checkpoint(out_dir, name, file_client_args, ...)."""
    saved: list[Path | None] = []

    class Save(Hook):
        def after_train_epoch(self, runner: Runner) -> None:
            saved.append(
                runner.save_checkpoint(
                    runner.work_dir, "mine.pth", None, save_optimizer=True, by_epoch=True
                )
            )

    _runner(tmp_path, 1, custom_hooks=[Save()]).train()
    assert saved and saved[0] is not None and saved[0].name == "mine.pth"


def test_resume_without_the_optimizer_state(tmp_path: Path) -> None:
    run = _runner(tmp_path, 1)
    run.train()
    momentum = run.optim_wrapper.optimizer.state_dict()["state"]
    assert momentum  # SGD with momentum kept buffers
    fresh = _runner(tmp_path, 2)
    fresh.resume(tmp_path / "epoch_1.pth", resume_optimizer=False, map_location="cpu")
    seen: list[dict] = []

    class Look(Hook):
        def before_train_epoch(self, runner: Runner) -> None:
            seen.append(dict(runner.optim_wrapper.optimizer.state_dict()["state"]))

    fresh.register_hook(Look())
    fresh.train()
    assert fresh.epoch == 2 and seen[0] == {}  # resumed at epoch 1, without momentum buffers


def test_mmengines_runner_shortcuts(tmp_path: Path) -> None:
    x = torch.randn(8, 2)
    data = dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4)
    run = _runner(
        tmp_path,
        3,
        randomness=dict(seed=3, deterministic=True),
        val_dataloader=data,
        val_evaluator=dict(type="Accuracy"),
    )
    assert run.model_name == "Linear" and run.deterministic is True
    assert run.val_interval == 1 and run.val_begin == 1
    assert type(run.val_evaluator).__name__ == "Evaluator"
    assert run.test_loop is None and run.test_evaluator is None and run.test_dataloader is None
    with pytest.raises(RuntimeError, match="no test_dataloader"):
        run.test()
    # the call MMEngine's BaseLoop makes
    loader = run.build_dataloader(data, seed=5, diff_rank_seed=False)
    assert loader.sampler.seed == 5


def test_a_setup_env_override_reads_rank_after_super(tmp_path: Path) -> None:
    """MMEngine's setup_env sets the rank: an override may read it right after super()."""
    seen: list[int] = []

    class MyRunner(Runner):
        def setup_env(self, env_cfg: Any) -> None:
            super().setup_env(env_cfg)
            seen.append(self.rank)

    MyRunner(model=nn.Linear(2, 1), work_dir=str(tmp_path))
    assert seen == [0]


def test_without_env_cfg_setup_env_gets_mmengines_default(tmp_path: Path) -> None:
    """MMEngine's default env_cfg is dict(dist_cfg=dict(backend='nccl')); overrides read it
    (design/runner.md). The backend is the one a distributed run here would use."""
    got: list[Any] = []

    class MyRunner(Runner):
        def setup_env(self, env_cfg: Any) -> None:
            got.append(env_cfg["dist_cfg"]["backend"])
            super().setup_env(env_cfg)

    MyRunner(model=nn.Linear(2, 1), work_dir=str(tmp_path / "a"))
    assert got == ["nccl" if torch.cuda.is_available() else "gloo"]
    with pytest.raises(KeyError, match="dist_cfg"):  # one given is used as it is, as MMEngine
        MyRunner(model=nn.Linear(2, 1), work_dir=str(tmp_path / "b"), env_cfg={})
    from runner_core.runner import FlexibleRunner

    flexible = FlexibleRunner(model=nn.Linear(2, 1), work_dir=str(tmp_path / "c"))
    assert flexible.env_cfg["dist_cfg"]["backend"] == got[0]
    strategy = dict(type="SingleDeviceStrategy", env_kwargs=dict(cudnn_benchmark=False))
    flexible = FlexibleRunner(
        model=nn.Linear(2, 1), work_dir=str(tmp_path / "d"), strategy=strategy
    )
    assert flexible.env_cfg == {"dist_cfg": {"backend": got[0]}, "cudnn_benchmark": False}


def test_build_dataloader_takes_mmengines_positional_seed(tmp_path: Path) -> None:
    x = torch.randn(8, 2)
    run = _runner(tmp_path, 1)
    loader = run.build_dataloader(dict(dataset=TensorDataset(x, x), batch_size=4), 7)
    assert loader.sampler.seed == 7


def test_auto_scale_lr_scales_every_wrapper_of_an_optim_wrapper_dict(tmp_path: Path) -> None:
    """One optimizer per model part (a GAN): MMEngine scales each wrapper's lr."""
    from runner_core import BaseModel
    from runner_core.optim import OptimWrapper

    class TwoParts(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.gen, self.disc = nn.Linear(2, 2), nn.Linear(2, 1)

        def forward(self, inputs: Any, labels: Any = None, mode: str = "tensor") -> Any:
            return self.disc(self.gen(inputs))

        def train_step(self, data: Any, optim_wrapper: Any) -> dict[str, torch.Tensor]:
            data = self.data_preprocessor(data, True)  # to the model's device, as MMEngine's
            inputs = data[0] if isinstance(data, (list, tuple)) else data
            for name in ("gen", "disc"):
                loss = self(inputs).pow(2).mean()
                optim_wrapper[name].update_params(loss)
            return dict(loss=loss.detach())

    model = TwoParts()
    x = torch.randn(8, 2)
    run = Runner(
        model=model,
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=TensorDataset(x), batch_size=4),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(
            gen=OptimWrapper(torch.optim.SGD(model.gen.parameters(), lr=0.1)),
            disc=OptimWrapper(torch.optim.SGD(model.disc.parameters(), lr=0.01)),
        ),
        auto_scale_lr=dict(enable=True, base_batch_size=2),
        default_hooks=dict(logger=dict(interval=1, progress_bar=False)),
    )
    run.train()
    lrs = run.optim_wrapper.get_lr()
    assert lrs["gen.lr"] == pytest.approx([0.2]) and lrs["disc.lr"] == pytest.approx([0.02])


def test_a_build_model_override_with_mmengines_signature(tmp_path: Path) -> None:
    """MMEngine calls ``self.build_model(model)`` with the Runner's ``data_preprocessor``
    already in the model's config; an override with that signature gets both."""
    from runner_core.model import BaseModel, ImgDataPreprocessor
    from runner_core.registry import MODELS

    @MODELS.register_module(name="BuildModelOverrideNet", force=True)
    class Net(BaseModel):
        def __init__(self, data_preprocessor: Any = None) -> None:
            super().__init__(data_preprocessor=data_preprocessor)
            self.lin = nn.Linear(2, 1)

        def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
            return self.lin(inputs)

    seen: list[Any] = []

    class MyRunner(Runner):
        def build_model(self, model: Any) -> nn.Module:
            seen.append(model)
            return super().build_model(model)

    run = MyRunner(
        model=dict(type="BuildModelOverrideNet"),
        data_preprocessor=dict(type="ImgDataPreprocessor", mean=[1.0], std=[2.0]),
        work_dir=str(tmp_path),
    )
    assert seen[0]["data_preprocessor"]["type"] == "ImgDataPreprocessor"
    assert isinstance(run.model.data_preprocessor, ImgDataPreprocessor)
    assert run.model.data_preprocessor.mean.flatten().tolist() == [1.0]


def test_mmengines_private_resume_flag_reads_the_resume_request(tmp_path: Path) -> None:
    # mmpretrain's EMAHook reads runner._resume
    assert _runner(tmp_path / "a", 1)._resume is False
    assert _runner(tmp_path / "b", 1, resume=True)._resume is True
    assert _runner(tmp_path / "c", 1, resume=str(tmp_path / "x.pth"))._resume is True


def test_a_test_only_runner_has_no_train_loop_as_in_mmengine(tmp_path: Path) -> None:
    seen: list[Any] = []

    class ReadsTrainLoop(Hook):  # the check hooks written for MMEngine make
        def before_test(self, runner: Any) -> None:
            seen.append(runner.train_loop is not None)

    data = TensorDataset(torch.randn(8, 4), torch.randint(0, 2, (8,)))
    runner = Runner(
        model=nn.Linear(4, 2),
        work_dir=str(tmp_path),
        test_dataloader=dict(dataset=data, batch_size=4),
        test_evaluator=dict(type="Accuracy"),
        custom_hooks=[ReadsTrainLoop()],
    )
    runner.test()
    assert seen == [False]
    assert runner.train_loop is None
    with pytest.raises(ConfigError, match="train_cfg"):
        runner.train_dataloader  # noqa: B018


def test_a_runner_built_from_arguments_has_an_empty_config_as_in_mmengine(tmp_path: Path) -> None:
    from runner_core.config import Config

    runner = _runner(tmp_path, max_epochs=1)
    assert isinstance(runner.cfg, Config) and not runner.cfg
    assert runner.cfg.get("find_unused_parameters", False) is False  # what hooks call
    runner.train()
    # the run folder's config.py still records the arguments the Runner was given
    dumped = Config.fromfile(runner.log_dir / "config.py")
    assert dumped.train_cfg == dict(by_epoch=True, max_epochs=1)


def test_model_wrapper_cfg_given_in_cfg_is_used_as_mmengine_does(tmp_path: Path) -> None:
    # MMEngine's Runner wraps with self.cfg.get('model_wrapper_cfg') whatever its keyword
    wrapper = dict(type="MMDistributedDataParallel", broadcast_buffers=True, static_graph=True)
    runner = _runner(tmp_path / "a", 1, cfg=dict(model_wrapper_cfg=wrapper))
    assert runner.model_wrapper_cfg == wrapper
    keyword = dict(type="MMDistributedDataParallel", find_unused_parameters=True)
    runner = _runner(
        tmp_path / "b", 1, cfg=dict(model_wrapper_cfg=wrapper), model_wrapper_cfg=keyword
    )
    assert runner.model_wrapper_cfg == keyword  # the keyword, where given, as from_cfg passes it


def test_a_hook_method_mocked_after_register_hook_is_what_train_calls(tmp_path: Path) -> None:
    """MMEngine-based test suites patch hooks after registering them."""
    from unittest import mock

    class Counted(Hook):
        def before_train_epoch(self, runner: Runner) -> None:
            raise AssertionError("the patched method runs instead")

    run = _runner(tmp_path / "wd", 2)
    hook = Counted()
    run.register_hook(hook)
    hook.after_train_iter = mock.MagicMock()  # type: ignore[method-assign]
    with mock.patch.object(Counted, "before_train_epoch") as patched:
        run.train()
    assert patched.call_count == 2 and patched.call_args.args == (run,)
    assert hook.after_train_iter.call_count == 4  # 2 epochs of 2 batches
    assert hook.after_train_iter.call_args.kwargs["batch_idx"] == 1


def test_a_val_loop_of_ones_own_gets_a_list_of_dataloader_configs(tmp_path: Path) -> None:
    """MMEngine hands val_dataloader to a loop named in val_cfg unbuilt: a loop over several
    datasets (MMagic's MultiValLoop) takes a list of configs and builds each itself."""
    from runner_core.errors import ConfigTypeError
    from runner_core.loop import BaseLoop
    from runner_core.registry import LOOPS

    class EachDataset(BaseLoop):
        def __init__(self, runner: Any, dataloader: Any, evaluator: Any = None) -> None:
            super().__init__(runner, dataloader=None)
            self.loaders = [runner.build_dataloader(cfg) for cfg in dataloader]

        def run(self) -> dict[str, float]:
            return {f"n{i}": float(len(loader.dataset)) for i, loader in enumerate(self.loaders)}

    LOOPS.register_module(module=EachDataset, force=True)
    x = torch.randn(8, 2)
    configs = [dict(dataset=TensorDataset(x[:n], x[:n]), batch_size=2) for n in (3, 5)]
    parts: dict[str, Any] = dict(val_dataloader=configs, val_evaluator=[dict(type="Accuracy")] * 2)
    run = _runner(tmp_path / "wd", 1, val_cfg=dict(type="EachDataset"), **parts)
    assert run.val() == {"n0": 3.0, "n1": 5.0}
    for i, standard in enumerate([dict(), dict(type=LOOPS.get("ValLoop"))]):  # the class too
        plain = _runner(tmp_path / f"plain{i}", 1, val_cfg=standard, **parts)
        with pytest.raises(ConfigTypeError, match=r"list of 2 dataloader.*val_cfg=dict\(type"):
            plain.val()


def test_the_eval_loops_private_names_hold_their_configs_until_built(tmp_path: Path) -> None:
    """Code copied from MMEngine's Runner.test() (a hook that runs the test loop during
    training) checks ``runner._test_loop is None`` before building it."""
    x = torch.randn(8, 2)
    data = dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4)
    bare = _runner(tmp_path / "bare", 1)
    assert bare._test_loop is None and bare._val_loop is None and not bare.has_validation()

    from runner_core.evaluator import BaseMetric

    class Count(BaseMetric):
        def process(self, data_batch: Any, data_samples: Any) -> None:
            self.results.append(1.0)

        def compute_metrics(self, results: list) -> dict:
            return {"n": float(len(results))}

    run = _runner(
        tmp_path / "wd",
        1,
        test_dataloader=data,
        test_cfg=dict(),
        test_evaluator=Count(),
        val_dataloader=data,
        val_evaluator=Count(),
    )
    assert run._test_loop == {} and run._val_loop == {} and run.has_validation()
    if run._test_loop is None:  # MMEngine's guard
        raise RuntimeError("no test loop")
    run._test_loop = run.build_test_loop(run._test_loop)
    assert run.test_loop is run._test_loop and run.test()["n"] == 2.0
    assert run.val_loop is run._val_loop and not isinstance(run._val_loop, dict)


def test_the_train_loops_private_name_holds_its_config_as_the_configs_type(
    tmp_path: Path,
) -> None:
    """MMEngine's ``train()`` (copied into subclasses) raises when ``_train_loop`` is None,
    and downstream code reads ``runner._val_loop.type`` from a config's ConfigDict."""
    from runner_core.config import Config

    run = _runner(tmp_path / "wd", 2)
    assert run._train_loop == dict(by_epoch=True, max_epochs=2)
    run._train_loop = dict(by_epoch=True, max_epochs=1)  # replaced before train(): built
    run.train()
    assert (run.epoch, run.iter, run.train_loop.max_epochs) == (1, 2, 1)
    x = torch.randn(8, 2)
    data = dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4)
    cfg = Config(dict(val_cfg=dict(type="ValLoop"), val_dataloader=data))
    built = _runner(tmp_path / "cfg", 1, val_cfg=cfg.val_cfg, val_dataloader=data, val_evaluator=[])
    assert built._val_loop.type == "ValLoop"  # a ConfigDict, as the config gave it
    assert built._val_loop is not cfg.val_cfg  # a copy: building the loop leaves it alone


def test_the_private_hook_list_is_edited_as_mmengines(tmp_path: Path) -> None:
    """Downstream code filters ``runner._hooks`` and pops from it; an assignment of a list
    failed deep in the loop's build, append gave a bare AttributeError."""
    from runner_core.errors import HookError

    class Marker(Hook):
        def after_train_epoch(self, runner: Any) -> None:
            self.ran = True

    run = _runner(tmp_path / "wd", 1)
    names = [type(hook).__name__ for hook in run.hooks]
    assert type(run._hooks.pop()).__name__ == names[-1]
    del run._hooks[0]
    marker = Marker()
    run._hooks = [hook for hook in run._hooks if type(hook).__name__ != "LoggerHook"] + [marker]
    kept = [type(hook).__name__ for hook in run.hooks]
    expected = [name for name in names[1:-1] if name != "LoggerHook"] + ["Marker"]
    assert sorted(kept) == sorted(expected) and len(expected) == len(names) - 2
    with pytest.raises(HookError, match=r"append\(\.\.\.\).*register_hook\(hook, priority"):
        run._hooks.append(Marker())
    run.train()
    assert marker.ran and run.hooks is run._hooks


def test_mmengines_private_names_read_ours_or_name_the_replacement(tmp_path: Path) -> None:
    """Subclasses written for MMEngine read ``self._work_dir`` or call ``self._maybe_compile``;
    both were a bare AttributeError naming nothing."""

    class Sub(Runner):
        @property
        def broken(self) -> Any:
            return self.no_such_part  # its own AttributeError must stay its own

    run = Sub(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(tmp_path / "wd"),
        randomness=dict(seed=3),
    )
    assert run._work_dir == run.work_dir and run._seed == run.seed == 3
    assert (run._rank, run._world_size, run._distributed) == (0, 1, False)
    assert run._experiment_name == run.experiment_name and run._timestamp == run.timestamp
    with pytest.raises(
        AttributeError, match=r"_maybe_compile.*maybe_compile\(runner, 'train_step'\)"
    ):
        run._maybe_compile("train_step")
    with pytest.raises(AttributeError, match="no_such_part"):
        _ = run.broken
    run._experiment_name = "mine"  # a subclass may set it: that name only
    assert run._experiment_name == "mine" and run.experiment_name != "mine"


def test_a_property_failing_inside_runs_once(tmp_path: Path) -> None:
    """A dataset whose constructor raised AttributeError (a ConfigDict key missing) was built
    twice: the failed property was looked up again to re-raise its error."""
    from runner_core.registry import DATASETS

    calls: list[int] = []

    @DATASETS.register_module(name="QAAttributeErrorDataset", force=True)
    class Broken(TensorDataset):
        def __init__(self) -> None:
            calls.append(1)
            raise AttributeError("'ConfigDict' object has no attribute 'ann_file'")

    run = Runner(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=dict(type="QAAttributeErrorDataset"), batch_size=2),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
    )
    with pytest.raises(AttributeError, match="ann_file"):
        _ = run.train_loop
    assert len(calls) == 1


def test_deterministic_turning_cudnn_benchmark_off_is_logged_with_env_cfg(
    tmp_path: Path,
) -> None:
    """MMEngine warns when deterministic turns off the cudnn_benchmark env_cfg asked for,
    and its log lists env_cfg; a Runner built from arguments logged neither."""
    before = (torch.backends.cudnn.benchmark, torch.are_deterministic_algorithms_enabled())
    try:
        run = _runner(
            tmp_path,
            1,
            env_cfg=dict(cudnn_benchmark=True, mp_cfg=dict(mp_start_method=None)),
            randomness=dict(seed=3, deterministic=True),
        )
        assert torch.backends.cudnn.benchmark is False
        run.train()
        log = (run.log_dir / f"{run.timestamp}.log").read_text()
    finally:
        torch.backends.cudnn.benchmark = before[0]
        torch.use_deterministic_algorithms(before[1])
    assert "env_cfg.cudnn_benchmark=True is turned off by randomness.deterministic=True" in log
    assert "env_cfg cudnn_benchmark=True, mp_cfg={'mp_start_method': None}, dist_cfg=None" in log
