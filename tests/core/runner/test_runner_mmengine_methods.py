"""MMEngine's remaining public Runner methods, called and overridden the MMEngine way:
``set_randomness``, ``scale_lr``, ``load_or_resume``, ``dump_config``, ``build_logger``,
``build_message_hub``, ``build_log_processor``."""

from __future__ import annotations

import os
import random
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from runner_core import Config, Runner
from runner_core.evaluator import BaseMetric
from runner_core.hooks import Hook
from runner_core.logging import MessageHub, RunLogger
from runner_core.model import ModuleAdapter
from runner_core.runner import LogProcessor


class CountLoads(Hook):
    """Counts the checkpoints that reach the hooks (every load and resume does)."""

    def __init__(self) -> None:
        self.loads = 0

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        self.loads += 1


class Batches(BaseMetric):
    """Counts the validated batches (any model output will do)."""

    def process(self, data_batch: Any, data_samples: Any) -> None:
        self.results.append(1)

    def compute_metrics(self, results: list[Any]) -> dict[str, Any]:
        return {"batches": len(results)}


def _runner(
    work_dir: Path, max_epochs: int = 1, cls: type[Runner] = Runner, **kwargs: Any
) -> Runner:
    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    kwargs.setdefault("randomness", dict(seed=1))
    return cls(
        model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=TensorDataset(x, x.sum(1, keepdim=True)),
            batch_size=4,
            sampler=dict(type="DefaultSampler", shuffle=True),
        ),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1, momentum=0.9)),
        **{"default_hooks": dict(logger=dict(interval=1, progress_bar=False)), **kwargs},
    )


def _lr(runner: Runner) -> float:
    return float(runner.optim_wrapper.param_groups[0]["lr"])


def _weights(runner: Runner) -> dict[str, torch.Tensor]:
    return {k: v.clone() for k, v in runner.unwrapped_model.state_dict().items()}


def _same(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# -- set_randomness ------------------------------------------------------------------------
def test_set_randomness_reseeds_every_stream_and_updates_the_seed(tmp_path: Path) -> None:
    runner = _runner(tmp_path, randomness=dict(seed=3))
    assert runner.seed == 3
    runner.set_randomness(7)
    drawn = [random.random(), float(np.random.rand()), float(torch.rand(1))]
    random.seed(7)
    np.random.seed(7)
    torch.manual_seed(7)
    assert drawn == [random.random(), float(np.random.rand()), float(torch.rand(1))]
    assert runner.seed == 7 and runner.message_hub.get_info("seed") == 7
    runner.set_randomness(5, diff_rank_seed=True, deterministic=False)
    assert runner.seed == 5  # + rank 0
    assert runner.randomness_cfg == dict(seed=5, diff_rank_seed=True, deterministic=False)
    assert runner.deterministic is False
    # the train loader, built after the call, draws its order from the new seed
    assert runner.train_dataloader.sampler.seed == 5


def test_set_randomness_none_draws_a_seed(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    runner.set_randomness(None)
    assert isinstance(runner.seed, int) and runner.randomness_cfg["seed"] is None


# -- scale_lr ---------------------------------------------------------------------------------
def test_scale_lr_before_train_scales_once(tmp_path: Path) -> None:
    """MMEngine's scale_lr then train() scales twice (lr 0.4); here the wrapper is scaled once."""
    runner = _runner(tmp_path, auto_scale_lr=dict(enable=True, base_batch_size=2))
    runner.optim_wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    runner.scale_lr(runner.optim_wrapper, runner.auto_scale_lr)
    assert _lr(runner) == pytest.approx(0.1 * 4 / 2)
    runner.scale_lr(runner.optim_wrapper, dict(enable=False, base_batch_size=2))
    runner.scale_lr(runner.optim_wrapper)  # no auto_scale_lr: nothing, as MMEngine's
    assert _lr(runner) == pytest.approx(0.2)
    runner.train()
    assert _lr(runner) == pytest.approx(0.2)


def test_a_second_train_does_not_scale_the_lr_again(tmp_path: Path) -> None:
    runner = _runner(tmp_path, auto_scale_lr=dict(enable=True, base_batch_size=2))
    runner.train()
    assert _lr(runner) == pytest.approx(0.2)
    runner.train_loop._max_epochs = 2  # train one more epoch with the same Runner
    runner.train()
    assert runner.epoch == 2 and _lr(runner) == pytest.approx(0.2)


def test_scale_lr_refuses_a_config_and_built_schedulers(tmp_path: Path) -> None:
    runner = _runner(tmp_path, param_scheduler=dict(type="ConstantLR", factor=0.5))
    with pytest.raises(AssertionError, match="build_optim_wrapper"):
        runner.scale_lr(runner.optim_wrapper, dict(enable=True, base_batch_size=2))
    runner.train()
    with pytest.raises(RuntimeError, match="before the parameter schedulers are built"):
        runner.scale_lr(runner.optim_wrapper, dict(enable=True, base_batch_size=2))


# -- load_or_resume ---------------------------------------------------------------------------
def test_load_or_resume_before_train_resumes_exactly_and_once(tmp_path: Path) -> None:
    ema = [dict(type="EMAHook", momentum=0.1)]  # state loaded at resume, set up in before_run
    straight = _runner(tmp_path / "straight", 3, custom_hooks=ema)
    straight.train()
    first = _runner(tmp_path / "wd", 2, custom_hooks=ema)
    first.train()
    saved = _weights(first)

    count = CountLoads()
    resumed = _runner(tmp_path / "wd", 3, resume=True, custom_hooks=[*ema, count])
    resumed.load_or_resume()
    assert (resumed.epoch, resumed.iter, count.loads) == (2, 8, 1)
    assert _same(_weights(resumed), saved)
    resumed.load_or_resume()  # loaded already: nothing
    resumed.train()
    assert (resumed.epoch, resumed.iter, count.loads) == (3, 12, 1)
    assert resumed.resume_state.resumed_from == str(tmp_path / "wd" / "epoch_2.pth")
    assert _same(_weights(resumed), _weights(straight))


def test_load_or_resume_inside_a_run_of_ones_own(tmp_path: Path) -> None:
    """A custom training method in MMEngine's order: build, before_run, load_or_resume, run."""
    straight = _runner(tmp_path / "straight", 2)
    straight.train()
    _runner(tmp_path / "wd", 1).train()

    class MyRunner(Runner):
        def train(self) -> Any:
            self.optim_wrapper = self.build_optim_wrapper(self.optim_wrapper)
            self.call_hook("before_run")
            self.load_or_resume()
            model = self.train_loop.run()
            self.call_hook("after_run")
            return model

    count = CountLoads()
    mine = _runner(tmp_path / "wd", 2, cls=MyRunner, resume=True, custom_hooks=[count])
    mine.train()
    assert (mine.epoch, count.loads) == (2, 1)
    assert _same(_weights(mine), _weights(straight))


def test_load_or_resume_from_a_before_run_hook_resumes_once(tmp_path: Path) -> None:
    straight = _runner(tmp_path / "straight", 2)
    straight.train()
    _runner(tmp_path / "wd", 1).train()

    class Load(Hook):
        def before_run(self, runner: Any) -> None:
            runner.load_or_resume()

    count = CountLoads()
    runner = _runner(tmp_path / "wd", 2, resume=True, custom_hooks=[Load(), count])
    runner.train()
    assert (runner.epoch, count.loads) == (2, 1)
    assert _same(_weights(runner), _weights(straight))


def test_load_or_resume_loads_load_from_once(tmp_path: Path) -> None:
    """The inference-script pattern: load_from, load_or_resume(), then use the model."""
    trained = _runner(tmp_path / "a", 1)
    trained.train()
    count = CountLoads()
    x = torch.randn(8, 2)
    runner = _runner(
        tmp_path / "b",
        load_from=str(tmp_path / "a" / "epoch_1.pth"),
        custom_hooks=[count],
        val_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4),
        val_evaluator=Batches(),
    )
    runner.call_hook("before_run")
    runner.load_or_resume()
    assert _same(_weights(runner), _weights(trained)) and runner.epoch == 0
    runner.load_or_resume()
    assert runner.val() == {"batches": 2}  # loads nothing again
    assert count.loads == 1


def test_train_and_val_call_an_overriding_load_or_resume(tmp_path: Path) -> None:
    _runner(tmp_path / "wd", 1).train()
    calls: list[str] = []

    class MyRunner(Runner):
        def load_or_resume(self) -> None:
            calls.append("mine")
            super().load_or_resume()

    runner = _runner(tmp_path / "wd", 2, cls=MyRunner, resume=True)
    runner.train()
    assert calls == ["mine"] and runner.epoch == 2
    assert runner.resume_state.resumed_from == str(tmp_path / "wd" / "epoch_1.pth")


def test_an_mmengine_style_load_or_resume_that_calls_resume(tmp_path: Path) -> None:
    """Subclasses written for MMEngine copy its load_or_resume: ``self.resume(file)`` in it
    resumes (MMEngine's loads at once; ours records the file, loaded right after)."""
    straight = _runner(tmp_path / "straight", 2)
    straight.train()
    _runner(tmp_path / "wd", 1).train()

    class MMEngineStyle(Runner):
        def load_or_resume(self) -> None:
            if self._has_loaded:
                return
            if self._resume and self._load_from is not None:
                self.resume(self._load_from)
            elif self._load_from is not None:
                self.load_checkpoint(self._load_from)
            self._has_loaded = True

    path = str(tmp_path / "wd" / "epoch_1.pth")
    runner = _runner(tmp_path / "wd", 2, cls=MMEngineStyle, load_from=path, resume=True)
    assert runner._load_from == path
    runner.train()
    assert runner.epoch == 2 and _same(_weights(runner), _weights(straight))


def test_an_override_that_resumes_and_calls_super_loads_once(tmp_path: Path) -> None:
    _runner(tmp_path / "wd", 1).train()
    path = str(tmp_path / "wd" / "epoch_1.pth")

    class Both(Runner):
        def load_or_resume(self) -> None:
            self.resume(path)
            super().load_or_resume()

    count = CountLoads()
    runner = _runner(tmp_path / "wd", 2, cls=Both, resume=True, custom_hooks=[count])
    runner.train()
    assert (runner.epoch, count.loads) == (2, 1)


def test_an_override_that_skips_the_resume_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _runner(tmp_path / "wd", 1).train()

    class Skip(Runner):
        def load_or_resume(self) -> None:
            pass

    runner = _runner(tmp_path / "wd", 2, cls=Skip, resume=True)
    runner.train()
    assert runner.iter == 8  # two epochs from scratch: nothing was resumed
    assert runner.resume_state.resumed_from is None
    assert "Skip.load_or_resume() did not apply the checkpoint" in capsys.readouterr().out


# -- dump_config ------------------------------------------------------------------------------
def test_dump_config_writes_the_run_folders_config(tmp_path: Path) -> None:
    cfg = Config(dict(model=dict(type="ToyNetForTests"), work_dir=str(tmp_path), note="a"))
    runner = _runner(tmp_path, cfg=cfg)
    written = runner.log_dir / "config.py"
    assert Config.fromfile(written).note == "a"
    runner.cfg.note = "b"
    runner.dump_config()
    assert Config.fromfile(written).note == "b"
    assert sorted(p.name for p in tmp_path.glob("*.py")) == []  # not <work_dir>/<name>.py
    runner.cfg.note = Path("a")  # plain: nothing to say
    runner.cfg.thing = object()  # written as its text: said in the run's log, not only stderr
    runner.dump_config()
    log = Path(runner.logger.log_file).read_text()
    assert "thing (object) holds an object" in log and "note (" not in log


# -- build_logger, build_message_hub, build_log_processor ------------------------------------
def test_the_build_methods_called_again_give_the_runs_parts(tmp_path: Path) -> None:
    runner = _runner(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # as the constructor called it: nothing ignored
        logger = runner.build_logger()
    assert logger is runner.logger and isinstance(logger, RunLogger)
    with pytest.warns(UserWarning, match=r"ignores the arguments \['log_level'\]"):
        assert runner.build_logger(log_level="DEBUG") is logger  # MMEngine warns too
    assert Path(str(logger.log_file)) == runner.log_dir / f"{runner.timestamp}.log"
    # MMEngine's private name for the run folder, which downstream hooks save beside
    assert runner._log_dir == str(runner.log_dir) == os.path.dirname(str(logger.log_file))
    assert runner.build_message_hub() is runner.message_hub
    other = runner.build_message_hub(dict(name="other-hub"))
    assert other is MessageHub.get_instance("other-hub") and other is not runner.message_hub
    processor = runner.build_log_processor(dict(window_size=5))
    assert type(processor) is LogProcessor and processor.window_size == 5
    assert runner.build_log_processor(processor) is processor
    with pytest.raises(TypeError, match="log_processor must be a dict"):
        runner.build_log_processor(3)
    with pytest.raises(TypeError, match="message_hub should be a dict"):
        runner.build_message_hub(3)  # type: ignore[arg-type]


def test_a_subclass_overriding_the_setup_methods_changes_the_run(tmp_path: Path) -> None:
    """MMEngine's pattern ``class MyRunner(Runner): def build_logger(...)``."""
    calls: list[str] = []

    class Processor(LogProcessor):
        pass

    class MyRunner(Runner):
        def build_log_processor(self, log_processor: Any) -> LogProcessor:
            calls.append("log_processor")
            return Processor(window_size=3)

        def build_logger(self, log_level: Any = "INFO", log_file: Any = None, **kw: Any) -> Any:
            calls.append("logger")
            return super().build_logger(log_level="DEBUG", log_file=log_file, **kw)

        def build_message_hub(self, message_hub: Any = None) -> MessageHub:
            calls.append("message_hub")
            return super().build_message_hub(dict(name="my-hub"))

        def set_randomness(
            self, seed: Any, diff_rank_seed: bool = False, deterministic: bool = False
        ) -> None:
            calls.append("randomness")
            super().set_randomness(11, diff_rank_seed, deterministic)

        def dump_config(self) -> None:
            calls.append("dump_config")

    runner = _runner(tmp_path, cls=MyRunner)
    assert calls == ["log_processor", "randomness", "logger", "message_hub", "dump_config"]
    assert type(runner.log_processor) is Processor and runner.log_processor.window_size == 3
    assert runner.logger.level == 10 and runner.message_hub.name == "my-hub"
    assert runner.seed == 11 and runner.message_hub.get_info("seed") == 11
    assert not (runner.log_dir / "config.py").exists()


def test_a_runner_keeps_its_own_copy_of_the_config(tmp_path: Path) -> None:
    """A sweep edits its Config for the next run; as MMEngine deep-copies it, the first
    run's checkpoints must still record what it trained with."""
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    cfg = Config(
        dict(
            model=dict(type="ModuleAdapter", module=dict(type="Linear", in_features=2,
                                                         out_features=1), loss_fn="mse_loss"),
            work_dir=str(tmp_path / "a"),
            train_dataloader=dict(dataset=TensorDataset(x, x.sum(1, keepdim=True)), batch_size=4),
            train_cfg=dict(by_epoch=True, max_epochs=1),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
            default_hooks=dict(logger=dict(interval=1, progress_bar=False)),
        )
    )  # fmt: skip
    runner = Runner.from_cfg(cfg)
    cfg.optim_wrapper.optimizer.lr = 0.5
    cfg.work_dir = str(tmp_path / "b")
    runner.train()
    assert runner.cfg.optim_wrapper.optimizer.lr == 0.1
    saved = torch.load(tmp_path / "a" / "epoch_1.pth", weights_only=True)
    assert "lr=0.1" in saved["meta"]["cfg"] and str(tmp_path / "b") not in saved["meta"]["cfg"]


def test_build_visualizer_without_an_argument_builds_the_default(tmp_path: Path) -> None:
    visualizer = _runner(tmp_path).build_visualizer()  # MMEngine: visualizer=None
    assert type(visualizer).__name__ == "Visualizer"


def test_objects_in_the_config_are_not_copied_for_the_record(tmp_path: Path) -> None:
    """runner.cfg copies the values a caller may edit, not the dataset or model objects a
    Config may hold (an in-memory dataset would be held twice)."""
    x = torch.randn(8, 2, generator=torch.Generator().manual_seed(0))
    dataset = TensorDataset(x, x.sum(1, keepdim=True))
    cfg = Config(
        dict(
            model=ModuleAdapter(nn.Linear(2, 1), loss_fn=nn.functional.mse_loss),
            work_dir=str(tmp_path),
            train_dataloader=dict(dataset=dataset, batch_size=4),
            train_cfg=dict(by_epoch=True, max_epochs=1),
            optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.1)),
        )
    )
    runner = Runner.from_cfg(cfg)
    assert runner.cfg.train_dataloader.dataset is dataset
    assert runner.cfg.train_dataloader is not cfg.train_dataloader


def test_the_config_record_does_not_import_what_the_config_names(tmp_path: Path) -> None:
    """A pure-Python config's imports are resolved when a value is read; copying the
    record must not read them (a test metric from a package this run never uses)."""
    from runner_core.config.lazy import ImportedName

    cfg = Config(
        dict(
            work_dir=str(tmp_path),
            test_evaluator=dict(type=ImportedName("t_not_installed_pkg.metrics.Metric", "c.py:3")),
        )
    )
    runner = Runner(model=ModuleAdapter(nn.Linear(2, 1)), work_dir=str(tmp_path), cfg=cfg)
    assert runner.cfg is not cfg


# -- overrides with MMEngine's signatures ----------------------------------------------------
class StaticLoaderRunner(Runner):
    """build_dataloader overridden as MMEngine declares it: a @staticmethod."""

    built: list[Any] = []

    @staticmethod
    def build_dataloader(  # type: ignore[override]
        dataloader: Any, seed: int | None = None, diff_rank_seed: bool = False
    ) -> Any:
        StaticLoaderRunner.built.append((seed, diff_rank_seed))
        return Runner.build_dataloader(dataloader, seed, diff_rank_seed)


def test_a_static_build_dataloader_override_trains(tmp_path: Path) -> None:
    """The Runner passed its own key_path keyword: TypeError in train(). Called as
    MMEngine's BaseLoop calls it, with the run's seed: a seeded run stays reproducible."""
    StaticLoaderRunner.built.clear()
    runner = _runner(tmp_path, cls=StaticLoaderRunner, randomness=dict(seed=5))
    runner.train()
    assert runner.iter == 4 and StaticLoaderRunner.built == [(5, False)]


class MetaSaveRunner(Runner):
    """save_checkpoint overridden with MMEngine's signature only, adding to meta."""

    def save_checkpoint(  # type: ignore[override]
        self,
        out_dir: str,
        filename: str,
        file_client_args: dict | None = None,
        save_optimizer: bool = True,
        save_param_scheduler: bool = True,
        meta: dict | None = None,
        by_epoch: bool = True,
        backend_args: dict | None = None,
    ) -> None:
        meta = dict(meta or {}, project="mine")
        super().save_checkpoint(
            out_dir,
            filename,
            file_client_args,
            save_optimizer,
            save_param_scheduler,
            meta,
            by_epoch,
            backend_args,
        )


@pytest.mark.parametrize("async_save", [False, True])
def test_a_save_checkpoint_override_with_mmengines_signature_keeps_the_hooks_promises(
    tmp_path: Path, async_save: bool
) -> None:
    """The checkpoint hook passed update_pointer, background... as keywords: TypeError. Now
    the override works, and the options still reach the save: the pointer moves, the
    background writer writes, pruning runs after the write."""
    runner = _runner(
        tmp_path,
        max_epochs=3,
        cls=MetaSaveRunner,
        default_hooks=dict(
            logger=dict(interval=1, progress_bar=False),
            checkpoint=dict(interval=1, max_keep_ckpts=1, async_save=async_save),
        ),
    )
    runner.train()
    assert sorted(p.name for p in tmp_path.glob("epoch_*.pth")) == ["epoch_3.pth"]
    pointer = (tmp_path / "last_checkpoint").read_text().strip()
    assert Path(pointer).name == "epoch_3.pth"
    saved = torch.load(tmp_path / "epoch_3.pth", weights_only=False)
    assert saved["meta"]["project"] == "mine" and saved["meta"]["epoch"] == 3


def test_save_options_apply_to_the_next_save_only(tmp_path: Path) -> None:
    from runner_core.runner import checkpoint_save_options

    runner = _runner(tmp_path)
    runner.train()
    with checkpoint_save_options(update_pointer=True):
        runner.save_checkpoint(tmp_path, "a.pth")
        runner.save_checkpoint(tmp_path, "b.pth")  # a plain save, as an export
    assert Path((tmp_path / "last_checkpoint").read_text().strip()).name == "a.pth"
    with checkpoint_save_options(update_pointer=True):
        runner.save_checkpoint(tmp_path, "c.pth", update_pointer=False)  # the keyword wins
    assert Path((tmp_path / "last_checkpoint").read_text().strip()).name == "a.pth"


class OwnSaveRunner(Runner):
    """save_checkpoint overridden to save by itself, never calling Runner.save_checkpoint."""

    def save_checkpoint(self, out_dir, filename, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        torch.save({"state_dict": self.model.state_dict()}, Path(out_dir) / filename)


def test_a_save_checkpoint_override_without_super_is_said_once(tmp_path: Path) -> None:
    """The pointer and pruning moved into Runner.save_checkpoint: such an override lost
    them without a word (MMEngine's hook does both itself)."""
    runner = _runner(
        tmp_path,
        max_epochs=2,
        cls=OwnSaveRunner,
        default_hooks=dict(
            logger=dict(interval=1, progress_bar=False), checkpoint=dict(interval=1)
        ),
    )
    runner.train()
    assert (tmp_path / "epoch_2.pth").is_file()
    for handler in runner.logger.handlers:
        handler.flush()
    log = (runner.log_dir / f"{runner.timestamp}.log").read_text()
    assert log.count("OwnSaveRunner.save_checkpoint saved without calling") == 1


def test_has_loaded_says_whether_a_checkpoint_was_loaded_as_mmengines(tmp_path: Path) -> None:
    """Hooks read MMEngine's ``runner._has_loaded`` to tell a fresh model from a loaded one
    (MMYOLO fits its anchors only for a fresh one)."""
    seen: list[bool] = []

    class Peek(Hook):
        def before_train(self, runner: Runner) -> None:
            seen.append(runner._has_loaded)

    fresh = _runner(tmp_path / "wd", 1)
    fresh.register_hook(Peek())
    fresh.train()
    resumed = _runner(tmp_path / "wd", 2, resume=True)
    resumed.register_hook(Peek())
    resumed.train()
    loaded = _runner(tmp_path / "other", 1, load_from=str(tmp_path / "wd" / "epoch_1.pth"))
    loaded.register_hook(Peek())
    loaded.train()
    assert seen == [False, True, True]
