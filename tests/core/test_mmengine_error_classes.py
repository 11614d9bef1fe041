"""Each input mistake raises our error, which is also the standard class MMEngine raises.

Code written against MMEngine 0.10.7 (``except TypeError:``) keeps catching
these; our own callers keep catching today's class (ConfigError, ...).
"""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
import torch
from torch import nn

from runner_core import Runner
from runner_core.checkpoint import CheckpointEOFError, CheckpointError, load_checkpoint
from runner_core.errors import ConfigError, ConfigTypeError, RegistryError, RunnerError


def test_a_value_that_is_not_a_number_is_a_type_error() -> None:
    from runner_core.value_checks import check_number

    with pytest.raises(ConfigError, match=r"optim_wrapper.optimizer.lr='0.1' is not valid") as info:
        check_number("0.1", "optim_wrapper.optimizer.lr", minimum=0)
    assert isinstance(info.value, TypeError)  # MMEngine (torch): '0.1' < 0.0
    with pytest.raises(ConfigError, match="randomness.seed='a'") as info:
        check_number("a", "randomness.seed", minimum=0, integer=True)
    assert isinstance(info.value, TypeError)
    with pytest.raises(ConfigError) as info:  # a number out of range stays a ValueError only
        check_number(-1, "optim_wrapper.optimizer.lr", minimum=0)
    assert not isinstance(info.value, TypeError)


def test_mp_cfg_typo_is_a_type_error_and_a_bad_start_method_a_value_error() -> None:
    from runner_core.distributed.launch import setup_multiprocessing

    with pytest.raises(ConfigError, match="Did you mean one of 'opencv_num_threads'") as info:
        setup_multiprocessing(opencv_num_thread=0)
    assert isinstance(info.value, TypeError)  # MMEngine: unexpected keyword argument
    with pytest.raises(ConfigError, match="mp_start_method='forkk' is not available") as info:
        setup_multiprocessing(mp_start_method="forkk")
    assert isinstance(info.value, ValueError)  # MMEngine: multiprocessing's ValueError


@pytest.mark.parametrize(
    ("train_cfg", "message"),
    [
        (dict(by_epoch=False, max_epochs=2), r"by_epoch=False but no max_iters.*max_epochs is for"),
        (dict(by_epoch=True, max_iters=4), "by_epoch=True but no max_epochs"),
        # a Lightning habit (max_epochs and max_steps): the loop said "did you mean
        # 'max_iters'" with max_iters given
        (dict(max_epochs=10, max_iters=25), r"both max_epochs=10 and max_iters=25.*Keep"),
        (dict(by_epoch=True, max_epochs=10, max_iters=25), r"both max_epochs=10 and max_iters"),
    ],
)
def test_a_loop_count_for_the_other_loop_is_a_type_error(train_cfg, message) -> None:
    from runner_core.runner.build import train_loop_cfg

    with pytest.raises(ConfigError, match=message) as info:
        train_loop_cfg(train_cfg, None)
    assert isinstance(info.value, TypeError)  # MMEngine: the loop's unexpected keyword


@pytest.mark.parametrize(
    ("train_cfg", "message"),
    [
        (
            dict(type="EpochBasedTrainLoop", max_iters=20),
            r"'EpochBasedTrainLoop' counts the run in max_epochs, but train_cfg gives "
            r"max_iters=20.*use type='IterBasedTrainLoop' \(or drop type: "
            r"train_cfg=dict\(by_epoch=False, max_iters=20\)\)",
        ),
        (
            dict(type="IterBasedTrainLoop", max_epochs=3),
            r"'IterBasedTrainLoop' counts the run in max_iters, but train_cfg gives "
            r"max_epochs=3.*use type='EpochBasedTrainLoop' \(or drop type: "
            r"train_cfg=dict\(by_epoch=True, max_epochs=3\)\)",
        ),
    ],
)
def test_a_loop_type_given_the_other_loops_count_names_that_loop(train_cfg, message) -> None:
    """The loop's own check said only "Did you mean 'max_epochs'?"."""
    from runner_core.errors import BuildError
    from runner_core.runner.build import build_loop

    with pytest.raises(BuildError, match=message) as info:
        build_loop(object(), train_cfg, "train", {})
    assert isinstance(info.value, TypeError)  # MMEngine: the loop's unexpected keyword


@pytest.mark.parametrize(
    "train_cfg",
    [
        dict(type="EpochBasedTrainLoop", by_epoch=True, max_epochs=2),
        dict(type="EpochBasedTrainLoop", by_epoch=False, max_epochs=2),
        dict(type="IterBasedTrainLoop", by_epoch=True, max_iters=4),
    ],
)
def test_train_cfg_with_both_type_and_by_epoch_is_refused(train_cfg) -> None:
    from runner_core.runner.build import train_loop_cfg

    with pytest.raises(ConfigError) as info:
        train_loop_cfg(train_cfg, None)
    assert isinstance(info.value, RuntimeError)  # MMEngine: RuntimeError
    message = str(info.value)
    assert f"train_cfg has both type={train_cfg['type']!r} and by_epoch=" in message
    assert "keep only one of them" in message


def test_a_model_that_is_not_a_module_is_a_type_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="model must be a config dict") as info:
        Runner(model="QAModel", work_dir=str(tmp_path))
    assert isinstance(info.value, TypeError)  # MMEngine's isinstance check in build_model


def test_auto_scale_lr_typo_is_an_assertion_error() -> None:
    from runner_core.runner.arg_checks import check_runner_sections

    with pytest.raises(ConfigTypeError, match="Did you mean 'base_batch_size'") as info:
        check_runner_sections({"auto_scale_lr": dict(enable=True, base_batch_sise=16)})
    assert isinstance(info.value, AssertionError)  # MMEngine: assert 'base_batch_size' in ...
    with pytest.raises(ConfigTypeError) as info:  # randomness: a TypeError only, as MMEngine
        check_runner_sections({"randomness": dict(sed=1)})
    assert not isinstance(info.value, AssertionError)


def test_a_folder_given_as_checkpoint_is_a_file_not_found_error(tmp_path: Path) -> None:
    from runner_core.runner.arg_checks import check_runner_values

    with pytest.raises(ConfigError, match="is a folder, not a file") as info:
        check_runner_values({"load_from": str(tmp_path)})
    assert isinstance(info.value, FileNotFoundError)
    with pytest.raises(CheckpointError, match="is a folder, not a file") as info:
        load_checkpoint(tmp_path)
    assert isinstance(info.value, FileNotFoundError)  # MMEngine's isfile check


def test_a_fifo_given_as_load_from_is_named_so(tmp_path: Path) -> None:
    """It was said not to exist; reading it would wait for a writer forever."""
    import os

    from runner_core.runner.arg_checks import check_runner_values

    fifo = tmp_path / "pipe.pth"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="is not a regular file") as info:
        check_runner_values({"load_from": str(fifo)})
    assert isinstance(info.value, FileNotFoundError)


def test_an_empty_checkpoint_is_an_eof_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pth"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"is empty \(0 bytes\)") as info:
        load_checkpoint(empty)
    assert isinstance(info.value, EOFError)  # MMEngine: torch.load's EOFError
    assert isinstance(info.value, CheckpointEOFError)  # public


@pytest.mark.parametrize(("under", "code"), [(True, errno.ENOTDIR), (False, errno.EEXIST)])
def test_a_work_dir_that_cannot_be_a_folder_is_an_os_error(tmp_path: Path, under, code) -> None:
    from runner_core.runner.work_dir import prepare_work_dir

    afile = tmp_path / "afile"
    afile.write_text("x")
    with pytest.raises(RunnerError) as info:
        prepare_work_dir(afile / "wd" if under else afile, "20250101_000000")
    assert isinstance(info.value, OSError)  # MMEngine: os.makedirs
    assert info.value.errno == code
    # and its subclass, as os.makedirs raises it
    assert isinstance(info.value, NotADirectoryError if under else FileExistsError)
    assert str(info.value).startswith("The work dir ")
    assert "free some space" not in str(info.value)  # not a full disk
    assert "is a file, not a folder" in str(info.value)  # the path, or a part of it


def test_a_work_dir_without_permission_is_a_permission_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from runner_core.runner import work_dir

    def refused(work: Path, timestamp: str) -> Path:  # as a read-only folder refuses (not root)
        raise PermissionError(errno.EACCES, "Permission denied", str(work / timestamp))

    monkeypatch.setattr(work_dir, "_new_run_folder", refused)
    with pytest.raises(PermissionError, match="is not writable") as info:
        work_dir.prepare_work_dir(tmp_path / "wd", "20250101_000000")
    assert isinstance(info.value, RunnerError) and info.value.errno == errno.EACCES
    import pickle  # as a worker process hands it over: its class and errno survive

    info.value.add_note("while building the Runner")
    again = pickle.loads(pickle.dumps(info.value))
    assert type(again) is type(info.value) and again.errno == errno.EACCES
    assert str(again) == str(info.value) and again.__notes__ == ["while building the Runner"]


def test_a_list_where_one_optimizer_or_loader_config_belongs_is_an_attribute_error(
    tmp_path: Path,
) -> None:
    """MMEngine fails there calling the list's .get/.copy: an AttributeError."""
    from runner_core.errors import BuildError

    data = torch.utils.data.TensorDataset(torch.randn(8, 2), torch.randint(0, 2, (8,)))
    one_loader = dict(dataset=data, batch_size=2)
    sgd = dict(type="SGD", lr=0.1)
    cases = [
        (dict(optimizer=[sgd]), one_loader, BuildError, "optim_wrapper.optimizer must be a dict"),
        (dict(optimizer=sgd), [one_loader], ConfigTypeError, "is a list of 1 dataloader"),
    ]
    for optim_wrapper, loader, ours, words in cases:
        runner = Runner(
            model=nn.Linear(2, 2),
            work_dir=str(tmp_path),
            train_dataloader=loader,
            optim_wrapper=optim_wrapper,
            train_cfg=dict(max_epochs=1),
        )
        with pytest.raises(AttributeError, match=words) as info:
            runner.train()
        assert isinstance(info.value, ours)


def test_a_truncated_or_foreign_checkpoint_is_torchs_error_class(tmp_path: Path) -> None:
    """torch.load (MMEngine's loader) raises OSError for a truncated file and
    pickle.UnpicklingError for one that is no checkpoint; ours are those too."""
    import pickle

    from runner_core.checkpoint import CheckpointCorruptError, CheckpointUnpicklingError

    whole = tmp_path / "whole.pth"
    torch.save({"state_dict": {"w": torch.zeros(3)}}, whole)
    cut = tmp_path / "cut.pth"
    cut.write_bytes(whole.read_bytes()[:200])
    with pytest.raises(CheckpointCorruptError, match="is truncated or corrupt") as info:
        load_checkpoint(cut)
    assert isinstance(info.value, OSError) and isinstance(info.value, RuntimeError)
    text = tmp_path / "cfg.py"
    text.write_text("model = dict(type='Net')\n")
    with pytest.raises(CheckpointUnpicklingError, match="is not a torch checkpoint") as info:
        load_checkpoint(text)
    assert isinstance(info.value, pickle.UnpicklingError)


def test_a_loss_dict_without_loss_is_an_attribute_error() -> None:
    from runner_core.model import BaseModel

    class NoLoss(BaseModel):
        def forward(self, inputs, data_samples=None, mode="tensor"):
            return inputs

    with pytest.raises(
        ValueError, match=r"has no key containing 'loss' \(keys: \['mse'\]\)"
    ) as info:
        NoLoss().parse_losses({"mse": torch.tensor(1.0)})
    assert isinstance(info.value, AttributeError)  # MMEngine: float.backward()
    assert isinstance(info.value, RunnerError)


def test_an_unknown_optimizer_is_a_type_error_too() -> None:
    from runner_core.optim import DefaultOptimWrapperConstructor

    constructor = DefaultOptimWrapperConstructor(dict(optimizer=dict(type="SDG", lr=0.1)))
    with pytest.raises(RegistryError, match="'SDG' is not in the optimizer registry") as info:
        constructor(nn.Linear(2, 2))
    assert isinstance(info.value, KeyError)
    assert isinstance(info.value, TypeError)  # MMEngine: inspect.signature(None)


def test_dataloader_mistakes_are_type_errors() -> None:
    data = [dict(inputs=torch.zeros(2))] * 4
    with pytest.raises(RegistryError, match="Did you mean 'pseudo_collate'") as info:
        Runner.build_dataloader(
            dict(dataset=data, batch_size=2, collate_fn=dict(type="pseudo_colate"))
        )
    assert isinstance(info.value, TypeError)  # MMEngine: partial(None)
    with pytest.raises(ConfigError, match="Did you mean 'shuffle'") as info:
        Runner.build_dataloader(dict(dataset=data, batch_size=2, shufle=True))
    assert isinstance(info.value, TypeError)  # MMEngine: DataLoader's unexpected keyword


@pytest.mark.parametrize(
    ("arguments", "standard", "message"),
    [
        (dict(log_level="WARNNING"), KeyError, "Did you mean 'WARNING'"),
        (dict(log_level="VERBOSE"), KeyError, "Use one of 'DEBUG', 'INFO', 'WARNING'"),
        (dict(randomness=dict(seed=1.5)), TypeError, r"randomness.seed=1.5 is not valid"),
        (
            dict(env_cfg=dict(mp_cfg=dict(opencv_num_threads="2"))),
            TypeError,
            "opencv_num_threads='2' is not valid",
        ),
        (dict(env_cfg=["cudnn_benchmark"]), AttributeError, "env_cfg is a list, but it must be"),
        (dict(randomness=[42]), TypeError, "randomness is a list, but it must be"),
        (
            dict(default_hooks=[dict(type="LoggerHook")]),
            AttributeError,
            "default_hooks is a list, but it must be a dict of role name -> hook config",
        ),
        (
            dict(custom_hooks=dict(type="EMAHook")),
            TypeError,
            "custom_hooks is a dict, but it must be a list of hook configs",
        ),
        (dict(work_dir=123), TypeError, "work_dir=123 is not valid"),
        # refused at construction, as MMEngine's, not when training starts
        (dict(param_scheduler="MultiStepLR"), TypeError, "param_scheduler is 'MultiStepLR'"),
        (dict(param_scheduler=5), TypeError, "param_scheduler is 5, but it must be"),
        (
            dict(param_scheduler=dict(linear1="error_type")),
            AssertionError,
            r"param_scheduler\['linear1'\] is 'error_type'",
        ),
        (
            dict(log_processor=dict(custom_cfg=[dict(data_src="loss", method_name="maximum")])),
            KeyError,
            r"method_name must be one of .*Did you mean 'max'",
        ),
        (
            dict(log_processor=dict(custom_cfg=[dict(method_name="max")])),
            AssertionError,
            r"custom_cfg\[0\] needs data_src",
        ),
        (
            dict(log_processor=dict(custom_cfg=dict(data_src="loss", method_name="max"))),
            TypeError,
            "custom_cfg must be a list of dict",
        ),
        (
            dict(log_processor=dict(custom_cfg=[dict(data_src="loss"), dict(data_src="loss")])),
            AssertionError,
            "logs 'loss' twice",
        ),
        (dict(log_processor=dict(window_size="10")), AssertionError, "window_size='10'"),
    ],
)
def test_runner_argument_mistakes_are_mmengines_error_classes(
    tmp_path: Path, arguments: dict, standard: type, message: str
) -> None:
    arguments.setdefault("work_dir", str(tmp_path))
    with pytest.raises(ConfigError, match=message) as info:
        Runner(model=nn.Linear(2, 2), **arguments)
    assert isinstance(info.value, standard)  # what MMEngine 0.10.7 raises
    assert not str(info.value).startswith(("'", '"'))  # a KeyError's message is not quoted


def test_compile_mistakes_are_mmengines_error_classes() -> None:
    from runner_core.runner.compile import compile_options

    with pytest.raises(ConfigError, match="compile must be True, False or a dict") as info:
        compile_options("yes")
    assert isinstance(info.value, AssertionError)  # MMEngine asserts a dict or a bool
    with pytest.raises(ConfigError, match="Did you mean 'backend'") as info:
        compile_options(dict(backnd="eager"))
    assert isinstance(info.value, TypeError)  # torch.compile's unexpected keyword


def test_a_negative_seed_stays_a_value_error_only(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="randomness.seed=-1") as info:
        Runner(model=nn.Linear(2, 2), work_dir=str(tmp_path), randomness=dict(seed=-1))
    assert not isinstance(info.value, TypeError)  # numpy's seeding: a ValueError


@pytest.mark.parametrize(
    ("seed", "standard"), [(-1, ValueError), ("3", TypeError), (1.5, TypeError)]
)
def test_set_random_seed_called_directly_names_the_call_not_a_config(seed, standard) -> None:
    """It said 'randomness.seed=-1 ... fix it in the config (or with --cfg-options ...)'."""
    from runner_core.runner import set_random_seed

    with pytest.raises(ConfigError) as info:
        set_random_seed(seed)
    assert str(info.value).startswith(f"set_random_seed(seed={seed!r}): the seed must be")
    assert "config" not in str(info.value)
    assert isinstance(info.value, standard)


def test_a_number_as_experiment_name_is_a_name_as_in_mmengine(tmp_path: Path) -> None:
    from runner_core import Config

    cfg = Config(dict(model=dict(type="Linear", in_features=2, out_features=2)))
    cfg.work_dir, cfg.experiment_name = str(tmp_path), 123
    runner = Runner.from_cfg(cfg)
    assert runner.experiment_name == "123"
