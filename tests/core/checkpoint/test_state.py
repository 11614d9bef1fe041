"""load_model_state: rewrites, DDP prefixes, mismatches, wrong-model detection, report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from runner_core.checkpoint import (
    CheckpointError,
    LoadReport,
    get_state_dict,
    load_checkpoint,
    load_model_state,
)


def _net(out: int = 3) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.Linear(8, out))


def _state(model: nn.Module, value: float = 0.5) -> dict[str, torch.Tensor]:
    return {k: torch.full_like(v, value) for k, v in model.state_dict().items()}


def test_clean_load() -> None:
    model = _net()
    report = load_model_state(model, _state(_net()))
    assert report.ok and len(report.loaded_keys) == len(model.state_dict())
    assert torch.all(model[0].weight == 0.5)
    assert str(report).startswith(f"loaded {len(report.loaded_keys)}/{len(report.loaded_keys)}")


def test_ddp_prefix_stripped_by_default() -> None:
    model = _net()
    state = {f"module.{k}": v for k, v in _state(_net(), 2.0).items()}
    report = load_model_state(model, state)
    assert report.ok and torch.all(model[2].bias == 2.0)


def test_wrapped_model_is_unwrapped() -> None:
    wrapped = nn.DataParallel(_net())  # same unwrapping path as DistributedDataParallel
    report = load_model_state(wrapped, _state(_net(), 3.0))
    assert report.ok and torch.all(wrapped.module[0].weight == 3.0)


def test_full_checkpoint_dict_accepted() -> None:
    model = _net()
    report = load_model_state(model, {"meta": {"epoch": 1}, "state_dict": _state(_net(), 4.0)})
    assert report.ok and torch.all(model[0].bias == 4.0)


def test_mismatch_skipped_and_reported() -> None:
    model = _net(out=5)  # new head size, as in fine-tuning
    state = _state(_net(out=3), 1.0)
    state["extra.weight"] = torch.ones(1)
    del state["0.bias"]
    report = load_model_state(model, state)
    assert not report.ok
    assert report.mismatched_keys == [("2.weight", (3, 8), (5, 8)), ("2.bias", (3,), (5,))]
    assert report.unexpected_keys == ["extra.weight"] and report.missing_keys == ["0.bias"]
    assert torch.all(model[0].weight == 1.0)  # the rest loaded
    assert model[2].weight.shape == (5, 8) and not torch.all(model[2].weight == 1.0)
    text = str(report)
    assert "2.weight: checkpoint [3, 8] vs model [5, 8]" in text
    assert "missing in checkpoint" in text and "0.bias" in text
    assert "unexpected in checkpoint" in text and "extra.weight" in text


def test_strict_raises_and_loads_nothing() -> None:
    model = _net(out=5)
    before = model[0].weight.clone()
    with pytest.raises(
        CheckpointError,
        match=r"(?s)strict loading of checkpoint w\.pth.*nothing was loaded.*2\.weight",
    ):
        load_model_state(model, _state(_net(out=3), 1.0), strict=True, source="w.pth")
    assert torch.equal(model[0].weight, before)


def test_strict_failure_from_a_renamed_prefix_gives_the_revise_rule() -> None:
    """Renamed keys only suggested strict=False, which evaluates random weights (QA)."""
    from torch import nn

    class Named(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.features = _net()
            self.head = nn.Linear(3, 2)

    model = Named()
    saved = {
        (f"backbone.{k[len('features.') :]}" if k.startswith("features.") else k): v
        for k, v in _state(Named()).items()
    }
    with pytest.raises(CheckpointError) as err:
        load_model_state(model, saved, strict=True, source="w.pth")
    # the rules already applied come first: a new revise_keys replaces them
    hint = r"revise_keys=[(r'^module\.', ''), (r'^backbone\.', 'features.')]"
    assert hint in str(err.value)
    rule = [(r"^module\.", ""), (r"^backbone\.", "features.")]
    assert load_model_state(model, saved, strict=True, revise_keys=rule).ok
    ddp_saved = {f"module.{k}": v for k, v in saved.items()}
    assert load_model_state(model, ddp_saved, strict=True, revise_keys=rule).ok
    # keys missing for another reason, or that a rename would not make fit: no rule
    with pytest.raises(CheckpointError) as err:
        load_model_state(_net(out=5), _state(_net(out=3)), strict=True, source="w.pth")
    assert "Renaming" not in str(err.value)
    resized = {k: v for k, v in saved.items()}
    resized["backbone.2.weight"] = torch.zeros(7, 8)  # renamed, still another shape
    with pytest.raises(CheckpointError) as err:
        load_model_state(model, resized, strict=True, source="w.pth")
    assert "Renaming" not in str(err.value)


def test_a_checkpoint_whose_common_keys_all_have_other_shapes_is_refused() -> None:
    """Another size of the model: a non-strict load skipped every key and warned, and
    testing went on with random weights."""
    model = _net()
    before = model[0].weight.clone()
    wider = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.Linear(6, 5))
    wider_state = _state(wider)  # its BatchNorm counter fits: still nothing of the model
    with pytest.raises(
        CheckpointError,
        match=r"each of the \d+ keys in common has another "
        r"shape \(0.weight: \(6, 4\) in the checkpoint, \(8, 4\) in the model",
    ):
        load_model_state(model, wider_state, source="w.pth")
    assert torch.equal(model[0].weight, before)
    # a head of another size beside a prefixed body: the prefix is the thing to fix
    prefixed = {f"body.{k}": v for k, v in _state(_net()).items() if not k.startswith("2.")}
    prefixed.update({k: v for k, v in _state(_net(out=5)).items() if k.startswith("2.")})
    with pytest.raises(CheckpointError, match=r"different prefix\. Try revise_keys=\[\(r'\^body"):
        load_model_state(model, prefixed, source="w.pth")
    # one key that fits is a partial load, reported, as before
    partial = {**wider_state, "0.bias": torch.zeros(8)}
    assert load_model_state(model, partial).loaded_keys == ["0.bias", "1.num_batches_tracked"]


def test_unrelated_checkpoint_raises_with_keys_and_hint() -> None:
    model = _net()
    other = {f"backbone.{k}": v for k, v in _state(_net()).items()}
    with pytest.raises(CheckpointError) as err:
        load_model_state(model, other, source="/ckpts/resnet.pth")
    msg = str(err.value)
    assert "/ckpts/resnet.pth" in msg and "no key in common" in msg
    assert "backbone.0.weight" in msg and "'0.weight'" in msg
    assert r"revise_keys=[(r'^backbone\.', '')]" in msg
    report = load_model_state(model, other, revise_keys=[(r"^backbone\.", "")])
    assert report.ok


def test_two_keys_collapsing_is_an_error() -> None:
    state = {"module.w": torch.ones(1), "w": torch.ones(1)}
    with pytest.raises(CheckpointError, match="maps two keys"):
        load_model_state(nn.Linear(1, 1), state)


def test_logger_and_report_type(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.checkpoint.state")
    with caplog.at_level(logging.INFO, logger="test.checkpoint.state"):
        report = load_model_state(_net(out=5), _state(_net(out=3)), logger=logger)
    assert isinstance(report, LoadReport)
    assert any(
        r.levelno == logging.WARNING and "shape mismatch" in r.message for r in caplog.records
    )


def test_long_lists_are_truncated() -> None:
    model = nn.Sequential(*[nn.Linear(1, 1) for _ in range(20)])
    report = load_model_state(model, {"0.weight": torch.ones(1, 1)})
    assert len(report.missing_keys) == 39
    assert "... and 29 more" in str(report)


def test_mmengines_model_checkpoint_helpers(tmp_path) -> None:
    import torch
    from torch import nn

    from runner_core.checkpoint import (
        get_state_dict,
        load_checkpoint,
        load_state_dict,
        save_checkpoint,
        weights_to_cpu,
    )

    source = nn.Linear(2, 2)
    save_checkpoint(
        {"state_dict": weights_to_cpu(get_state_dict(source)), "meta": {}}, tmp_path / "a.pth"
    )
    target = nn.Linear(2, 2)
    # MMEngine's load_checkpoint(model, filename, map_location, strict, logger, revise_keys)
    ckpt = load_checkpoint(target, str(tmp_path / "a.pth"), "cpu", True)
    assert torch.equal(target.weight, source.weight) and "meta" in ckpt
    other = nn.Linear(2, 2)
    load_state_dict(other, source.state_dict(), strict=True)
    assert torch.equal(other.bias, source.bias)
    with pytest.raises(TypeError, match="pass the model first"):
        load_checkpoint(str(tmp_path / "a.pth"), target)
    # MMEngine's parameter names, and ours for a file alone
    named = nn.Linear(2, 2)
    assert "meta" in load_checkpoint(model=named, filename=str(tmp_path / "a.pth"))
    assert torch.equal(named.weight, source.weight)
    assert "meta" in load_checkpoint(path=tmp_path / "a.pth")


class _TeacherStudent(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.student = nn.Linear(2, 2)
        self.teacher = nn.Linear(2, 2)


def test_given_revise_keys_apply_when_keys_already_name_model_keys(tmp_path) -> None:
    """Initialising a teacher from a student checkpoint: the keys exist under both names."""
    from runner_core.checkpoint import load_checkpoint

    torch.manual_seed(1)
    trained = _TeacherStudent()
    student_only = {k: v for k, v in trained.state_dict().items() if k.startswith("student.")}
    torch.save({"state_dict": student_only}, tmp_path / "student.pth")
    rule = [(r"^student\.", "teacher.")]
    for load in (
        lambda m: load_model_state(m, student_only, revise_keys=rule),
        lambda m: load_checkpoint(m, str(tmp_path / "student.pth"), revise_keys=rule),
    ):
        torch.manual_seed(2)
        model = _TeacherStudent()
        before = model.student.weight.clone()
        load(model)
        assert torch.equal(model.teacher.weight, trained.student.weight)
        assert torch.equal(model.student.weight, before)


def test_revise_keys_take_compiled_patterns(tmp_path) -> None:
    import re

    model = nn.Sequential(nn.Linear(2, 1))
    torch.save(
        {"state_dict": {"net.0.weight": torch.ones(1, 2), "net.0.bias": torch.ones(1)}},
        tmp_path / "c.pth",
    )
    load_checkpoint(model, str(tmp_path / "c.pth"), revise_keys=[(re.compile(r"^net\."), "")])
    assert torch.equal(model[0].weight, torch.ones(1, 2))


def test_default_module_rule_keeps_a_child_named_module() -> None:
    class Adapter(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.module = nn.Linear(2, 2)

    source = Adapter()
    report = load_model_state(Adapter(), source.state_dict())
    assert report.ok and report.loaded_keys == ["module.weight", "module.bias"]


def test_load_state_dict_hint_names_what_it_takes() -> None:
    """load_state_dict has no revise_keys: the hint shows a rename that works there."""
    from runner_core.checkpoint import load_state_dict

    model = _net()
    other = {f"backbone.{k}": v for k, v in _state(_net()).items()}
    with pytest.raises(CheckpointError) as err:
        load_state_dict(model, other)
    msg = str(err.value)
    assert "Try revise_keys" not in msg and "was applied" not in msg
    assert r"{re.sub(r'^backbone\.', '', k): v for k, v in state_dict.items()}" in msg


@pytest.mark.parametrize("call", ["load_state_dict", "load_checkpoint"])
def test_logger_takes_mmengines_forms(tmp_path, capsys, call) -> None:
    from runner_core.checkpoint import load_checkpoint, load_state_dict
    from runner_core.logging import RunLogger

    torch.save({"state_dict": _state(_net(out=3))}, tmp_path / "c.pth")

    def load(logger) -> None:
        if call == "load_state_dict":
            load_state_dict(_net(out=5), _state(_net(out=3)), logger=logger)
        else:
            load_checkpoint(_net(out=5), str(tmp_path / "c.pth"), logger=logger)

    load(None)  # MMEngine prints what did not match when given no logger
    assert "2.weight: checkpoint [3, 8] vs model [5, 8]" in capsys.readouterr().out
    load("silent")
    assert capsys.readouterr().out == ""
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    named = logging.getLogger("test.checkpoint.named")
    current = RunLogger.get_current_instance()
    # a logger an earlier test's Runner left current may have a higher level (log_level)
    levels = [(logger, logger.level) for logger in (current, named)]
    for logger in (current, named):
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    try:
        for logger in ("current", current, "test.checkpoint.named"):
            load(logger)
    finally:
        for logger, level in levels:
            logger.removeHandler(handler)
            logger.setLevel(level)
    assert len(records) == 3 and all("shape mismatch" in r for r in records)


class _GAN(nn.Module):
    def __init__(self, wrap: bool) -> None:
        super().__init__()
        self.generator: nn.Module = nn.Linear(2, 2)
        self.discriminator: nn.Module = nn.Sequential(nn.BatchNorm1d(2))
        if wrap:  # MMEngine's MMSeparateDistributedDataParallel wraps each child
            self.generator = nn.DataParallel(self.generator)
            self.discriminator = nn.DataParallel(nn.DataParallel(self.discriminator))


def test_get_state_dict_unwraps_wrapped_children() -> None:
    from runner_core.checkpoint import get_state_dict, weights_to_cpu

    wrapped = _GAN(wrap=True)
    state = get_state_dict(nn.DataParallel(wrapped))
    plain = _GAN(wrap=False)
    assert list(state) == list(plain.state_dict())
    plain.load_state_dict(state, strict=True)
    assert list(state._metadata) == list(plain.state_dict()._metadata)
    assert list(get_state_dict(wrapped, prefix="gan.")) == [f"gan.{k}" for k in state]
    # the per-module versions (BatchNorm's) stay with the weights
    assert weights_to_cpu(state)._metadata == state._metadata


def test_get_state_dict_fills_a_plain_dict_destination() -> None:
    model = nn.Linear(2, 1)
    out: dict = {}
    assert get_state_dict(model, destination=out, prefix="m.") is out
    assert sorted(out) == ["m.bias", "m.weight"]


def test_saved_checkpoints_keep_module_versions(tmp_path: Path) -> None:
    # MMEngine's checkpoints carry _metadata (weights_to_cpu keeps it); sync and async alike
    from runner_core import Runner
    from runner_core.checkpoint import BackgroundWriter

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bn = nn.BatchNorm1d(2)

        def forward(self, *args: Any, **kwargs: Any) -> dict:
            return {}

    runner = Runner(model=Net(), work_dir=str(tmp_path), visualizer=False)
    writer = BackgroundWriter()
    runner.save_checkpoint(str(tmp_path), "sync.pth", save_optimizer=False)
    runner.save_checkpoint(str(tmp_path), "async.pth", save_optimizer=False, background=writer)
    writer.wait()
    for name in ("sync.pth", "async.pth"):
        versions = torch.load(tmp_path / name, weights_only=True)["state_dict"]._metadata
        assert {k: v for k, v in versions.items() if k.endswith("bn")} == {
            "module.bn": {"version": 2}  # a plain nn.Module is trained inside ModuleAdapter
        }, name


# -- found side by side with MMEngine 0.10.7 ----------------------------------------------------
class _Outer(nn.Module):
    """A model with a data-parallel child (a GAN's generator wrapped on its own)."""

    def __init__(self) -> None:
        super().__init__()
        self.inner = nn.DataParallel(_net())
        self.head = nn.Linear(3, 2)


def test_a_wrapped_child_loads_what_get_state_dict_saved(tmp_path: Path) -> None:
    from runner_core.checkpoint import load_state_dict, save_checkpoint

    source = _Outer()
    for value in source.state_dict().values():
        if value.is_floating_point():
            value.normal_()
    saved = get_state_dict(source)
    assert "inner.0.weight" in saved  # saved without the wrapper's `.module`, as MMEngine
    save_checkpoint({"state_dict": saved}, tmp_path / "outer.pth")
    for load in (
        lambda m: load_checkpoint(m, str(tmp_path / "outer.pth"), strict=True),
        lambda m: load_state_dict(m, saved, strict=True),
        lambda m: load_state_dict(m, source.state_dict(), strict=True),  # real names too
    ):
        target = _Outer()
        load(target)
        for key, value in source.state_dict().items():
            assert torch.equal(target.state_dict()[key], value), key


def test_a_registered_custom_wrapper_is_unwrapped_for_loading(tmp_path: Path) -> None:
    from runner_core.registry import MODEL_WRAPPERS

    class MyWrap(nn.Module):
        def __init__(self, module: nn.Module) -> None:
            super().__init__()
            self.module = module

    MODEL_WRAPPERS.register_module(module=MyWrap, force=True)
    try:
        weights = _state(_net(), 0.25)
        wrapped = MyWrap(_net())
        report = load_model_state(wrapped, weights, strict=True)
        assert report.ok
        assert all(
            v.eq(0.25).all()
            for k, v in wrapped.module.state_dict().items()
            if "num_batches" not in k
        )
    finally:
        MODEL_WRAPPERS.module_dict.pop("MyWrap", None)


def test_missing_num_batches_tracked_passes_a_strict_load() -> None:
    model = _net()
    weights = {k: v for k, v in _state(model).items() if not k.endswith("num_batches_tracked")}
    report = load_model_state(model, weights, strict=True)
    assert report.ok and not report.missing_keys


def test_weights_to_cpu_goes_into_nested_values() -> None:
    from runner_core.checkpoint import weights_to_cpu

    class OnDevice:
        def cpu(self) -> str:
            return "moved"

    out = weights_to_cpu({"a": OnDevice(), "nested": {"b": [OnDevice(), (OnDevice(), 3)]}})
    assert out == {"a": "moved", "nested": {"b": ["moved", ("moved", 3)]}}


def test_mmengines_private_loaders_are_there(tmp_path: Path) -> None:
    from runner_core.checkpoint import (
        CheckpointAssertionError,
        _load_checkpoint,
        _load_checkpoint_with_prefix,
        save_checkpoint,
    )

    weights = {"backbone.fc.weight": torch.ones(2), "head.w": torch.zeros(1)}
    save_checkpoint({"state_dict": weights, "meta": {"epoch": 3}}, tmp_path / "c.pth")
    whole = _load_checkpoint(str(tmp_path / "c.pth"), "cpu")  # map_location by position
    assert whole["meta"] == {"epoch": 3}
    for prefix in ("backbone", "backbone."):
        part = _load_checkpoint_with_prefix(prefix, str(tmp_path / "c.pth"))
        assert list(part) == ["fc.weight"]
    with pytest.raises(AssertionError, match="neck. is not in the pretrained model") as info:
        _load_checkpoint_with_prefix("neck", str(tmp_path / "c.pth"))
    assert isinstance(info.value, CheckpointAssertionError)


def test_a_mismatch_report_without_logger_is_printed_by_rank_0_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from runner_core.checkpoint import load_state_dict
    from runner_core.distributed import utils

    weights = {k: v for k, v in _state(_net()).items() if not k.startswith("2.")}
    monkeypatch.setattr(utils, "get_rank", lambda group=None: 1)
    load_state_dict(_net(), weights)
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(utils, "get_rank", lambda group=None: 0)
    load_state_dict(_net(), weights)
    assert "2.weight" in capsys.readouterr().out


def test_weights_one_level_down_are_pointed_at(tmp_path: Path) -> None:
    from runner_core.checkpoint import save_checkpoint

    save_checkpoint({"model": _state(_net())}, tmp_path / "timm_style.pth")
    with pytest.raises(CheckpointError, match="no key in common") as err:
        load_checkpoint(_net(), str(tmp_path / "timm_style.pth"))
    assert "Its 'model' entry holds this model's weights" in str(err.value)
    # a config's load_from cannot run Python: the one line that makes a file it takes
    line = "torch.save({'state_dict': load_checkpoint(path)['model']}, 'weights.pth')"
    assert line in str(err.value)


class _ConvsV1(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 3, 1)
        self.conv2 = nn.Conv2d(3, 3, 1)


class _ConvsV2(nn.Module):
    """Version 2 renamed conv1/conv2 to conv0/conv1 and migrates older checkpoints, the way
    torch's own modules (BatchNorm) and mmcv's do."""

    _version = 2

    def __init__(self) -> None:
        super().__init__()
        self.conv0 = nn.Conv2d(3, 3, 1)
        self.conv1 = nn.Conv2d(3, 3, 1)

    def _load_from_state_dict(
        self, state_dict: Any, prefix: str, local_metadata: Any, *args: Any, **kwargs: Any
    ) -> None:
        if local_metadata.get("version", 1) < 2:
            for key in sorted(k for k in state_dict if k.startswith(prefix)):
                for old, new in (("conv1", "conv0"), ("conv2", "conv1")):
                    if key.startswith(prefix + old):
                        state_dict[key.replace(old, new, 1)] = state_dict.pop(key)
                        break
        super()._load_from_state_dict(state_dict, prefix, local_metadata, *args, **kwargs)


def test_a_modules_version_migration_sees_every_checkpoint_key(tmp_path: Path) -> None:
    from runner_core.checkpoint import save_checkpoint

    old = _ConvsV1()
    save_checkpoint(old.state_dict(), tmp_path / "v1.pth")
    model = _ConvsV2()
    report = load_checkpoint(model, str(tmp_path / "v1.pth"), strict=True)
    assert report is not None
    assert torch.equal(model.conv0.weight, old.conv1.weight)
    assert torch.equal(model.conv1.weight, old.conv2.weight)
    report = load_model_state(_ConvsV2(), _checkpoint_state(tmp_path / "v1.pth"))
    assert report.ok and sorted(report.loaded_keys) == sorted(model.state_dict())
    # a checkpoint of the same version loads as before, its keys checked before the load
    current = _ConvsV2()
    save_checkpoint(current.state_dict(), tmp_path / "v2.pth")
    assert load_model_state(_ConvsV2(), _checkpoint_state(tmp_path / "v2.pth"), strict=True).ok


def _checkpoint_state(path: Path) -> Any:
    return load_checkpoint(str(path))


def test_a_strict_load_that_still_misses_after_the_migration_is_refused(tmp_path: Path) -> None:
    state = _ConvsV1().state_dict()
    del state["conv2.bias"]  # becomes conv1.bias: still missing after the rename
    with pytest.raises(CheckpointError, match="migrations ran and what fitted was loaded"):
        load_model_state(_ConvsV2(), state, strict=True)
