"""What ``model=`` may be: a config file, a Config or dict, or None with a checkpoint; not a name."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from runner_core.checkpoint import save_checkpoint
from runner_core.config import Config
from runner_core.infer import BaseInferencer, InferencerError, ModelZooError

PIPELINE = {"dataset": {"pipeline": [{"type": "InferLoadVector"}]}}


def _build(cls: Any, *args: Any, **kwargs: Any) -> Any:
    return cls(*args, device="cpu", show_progress=False, **kwargs)


def _labels(inferencer: Any, setup: Any) -> list[int]:
    return [p["label"] for p in inferencer(setup.inputs)["predictions"]]


def test_a_model_name_asks_for_a_config_file_and_local_weights(vector_inferencer: Any) -> None:
    with pytest.raises(ModelZooError, match="retinanet_r18_fpn_1x_coco") as info:
        _build(vector_inferencer, "retinanet_r18_fpn_1x_coco", scope="mmdet")
    message = str(info.value)
    assert "never downloads" in message and "config file" in message and "weights=" in message
    # what MMEngine raises there: ValueError (unknown name) or AssertionError (no scope)
    assert isinstance(info.value, ValueError) and isinstance(info.value, AssertionError)


def test_list_models_raises_rather_than_listing_nothing() -> None:
    with pytest.raises(ModelZooError, match=r"list_models\(scope='mmdet'"):
        BaseInferencer.list_models("mmdet")


def test_a_config_path_that_is_not_there_is_named(vector_inferencer: Any) -> None:
    with pytest.raises(FileNotFoundError, match=r"configs/missing\.py"):
        _build(vector_inferencer, "configs/missing.py")


def test_no_model_and_no_weights_is_refused(vector_inferencer: Any) -> None:
    with pytest.raises(InferencerError, match="weights=None give no config"):
        _build(vector_inferencer)


def test_model_of_another_type_is_a_type_error(vector_inferencer: Any) -> None:
    with pytest.raises(TypeError, match="model must be a config file path.*got int"):
        _build(vector_inferencer, 42)


def test_a_dict_config_is_copied(setup: Any, vector_inferencer: Any) -> None:
    given: dict[str, Any] = {
        "model": {"type": "InferLinear", "pretrained": "x.pth"},
        "test_dataloader": PIPELINE,
    }
    inferencer = _build(vector_inferencer, given, weights=setup.weights)
    assert given["model"]["pretrained"] == "x.pth"  # the caller's dict is left as it was
    assert _labels(inferencer, setup) == setup.expected_labels()
    loaded = Config.fromfile(setup.config)
    from_config = _build(vector_inferencer, loaded, weights=setup.weights)
    assert from_config.cfg is not loaded and _labels(from_config, setup) == setup.expected_labels()


def test_a_models_own_dict_is_refused_naming_the_missing_key(
    setup: Any, vector_inferencer: Any
) -> None:
    with pytest.raises(AttributeError, match=r"no 'model' dict.*its keys: in_features, type"):
        _build(vector_inferencer, {"type": "InferLinear", "in_features": 4}, weights=setup.weights)


@pytest.mark.parametrize("where", ["meta", "message_hub"])
def test_model_none_reads_the_config_saved_in_the_checkpoint(
    setup: Any, vector_inferencer: Any, tmp_path: Path, where: str
) -> None:
    text = setup.config.read_text()
    saved: dict[str, Any] = {"state_dict": setup.reference.state_dict()}
    if where == "meta":  # runner's and older MMEngine's place
        saved["meta"] = {"cfg": text, "dataset_meta": {"classes": ["a", "b", "c"]}}
    else:  # MMEngine's: the message hub's runtime info
        saved["message_hub"] = {"runtime_info": {"cfg": text}}
        saved["meta"] = {"dataset_meta": {"classes": ["a", "b", "c"]}}
    path = tmp_path / "with_cfg.pth"
    save_checkpoint(saved, path)
    inferencer = _build(vector_inferencer, weights=path)
    assert inferencer.cfg.model.type == "InferLinear"
    assert _labels(inferencer, setup) == setup.expected_labels()


def test_the_saved_config_is_read_as_data_never_run(
    setup: Any, vector_inferencer: Any, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    text = f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n" + setup.config.read_text()
    path = tmp_path / "plain_data_but_code.pth"
    save_checkpoint({"state_dict": setup.reference.state_dict(), "meta": {"cfg": text}}, path)
    with pytest.raises(InferencerError, match=r"plain_data_but_code\.pth.*line 1.*model="):
        _build(vector_inferencer, weights=path)
    assert not marker.exists()


def test_a_saved_config_builds_no_function_or_class_but_a_torch_module_it_names(
    setup: Any, vector_inferencer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plain data can still name ``subprocess:run`` as a type: building it would call it."""
    from runner_core.errors import RegistryError

    marker = tmp_path / "ran"
    (tmp_path / "unimported_mod.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).touch()\nclass Net: pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    text = setup.config.read_text()
    hostile = {
        "subprocess:run": f"args=['touch', {str(marker)!r}]",
        "pathlib.Path.touch": f"self={str(marker)!r}",
        "unimported_mod.Net": "",  # importing it would run the module
    }
    for i, (name, args) in enumerate(hostile.items()):
        bad = text.replace(
            "type='InferLinear', in_features=4, num_classes=3", f"type={name!r}, {args}"
        )
        path = tmp_path / f"hostile_{i}.pth"
        save_checkpoint({"state_dict": setup.reference.state_dict(), "meta": {"cfg": bad}}, path)
        with pytest.raises(RegistryError, match=rf"{name!r}.*hostile_{i}\.pth.*torch module"):
            _build(vector_inferencer, weights=path)
        assert not marker.exists()
    assert "unimported_mod" not in sys.modules
    # a _scope_ key would import <scope>.registry, and so the scope's package, first
    scoped = text.replace("type='InferLinear',", "type='InferLinear', _scope_='unimported_mod',")
    path = tmp_path / "scoped.pth"
    save_checkpoint({"state_dict": setup.reference.state_dict(), "meta": {"cfg": scoped}}, path)
    try:
        _build(vector_inferencer, weights=path)
    except Exception:  # noqa: S110  (whether it builds is not the point here)
        pass
    assert not marker.exists() and "unimported_mod" not in sys.modules
    cls = setup.reference.__class__  # a torch module class of a module imported already
    dotted = text.replace("'InferLinear'", repr(f"{cls.__module__}.{cls.__qualname__}"))
    path = tmp_path / "dotted_module.pth"
    save_checkpoint({"state_dict": setup.reference.state_dict(), "meta": {"cfg": dotted}}, path)
    assert _labels(_build(vector_inferencer, weights=path), setup) == setup.expected_labels()


def test_saved_texts_of_both_libraries_read_back_with_their_floats() -> None:
    import math

    from runner_core.config.literal import read_saved_config

    mmengine_text = "a = inf\nb = nan\nc = dict({3: 'x', 'a/b': 1}, k=-1)\nd = (\n    1,\n)\n"
    got = read_saved_config(mmengine_text)
    assert got["a"] == math.inf and math.isnan(got["b"])
    assert got["c"] == {3: "x", "a/b": 1, "k": -1} and got["d"] == (1,)
    ours = Config(dict(a=float("inf"), b=float("nan"), c={3: "x"}, e={"s"}, n=dict(t="T")))
    back = read_saved_config(ours.pretty_text)
    assert back["a"] == math.inf and math.isnan(back["b"])
    assert back["c"] == {3: "x"} and back["e"] == {"s"} and back["n"] == {"t": "T"}
    shadowed = read_saved_config("float = 1\nx = (1e999 - 1e999)\ny = -1e999\n")
    assert math.isnan(shadowed["x"]) and shadowed["y"] == -math.inf
    for code in ("x = __import__('os')", "x = open('f')", "import os", "x = [i for i in y]"):
        with pytest.raises(ValueError, match="line 1"):
            read_saved_config(code)


def test_model_none_with_a_checkpoint_without_config_is_named(
    setup: Any, vector_inferencer: Any
) -> None:
    with pytest.raises(InferencerError, match=r"weights\.pth.* holds no config"):
        _build(vector_inferencer, weights=setup.weights)


def test_a_saved_config_imports_only_modules_this_process_has(
    setup: Any, vector_inferencer: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The text passed the weights_only check as data; importing a module it names would
    run that module's code (any module on the path)."""
    marker = tmp_path / "imported"
    (tmp_path / "side_effect_mod.py").write_text(
        f"import pathlib\npathlib.Path({str(marker)!r}).touch()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    text = setup.config.read_text() + "\ncustom_imports = dict(imports=['side_effect_mod'])\n"
    path = tmp_path / "names_a_module.pth"
    save_checkpoint({"state_dict": setup.reference.state_dict(), "meta": {"cfg": text}}, path)
    with pytest.raises(InferencerError, match=r"names_a_module\.pth.*'side_effect_mod'.*import"):
        _build(vector_inferencer, weights=path)
    assert not marker.exists()
    import side_effect_mod  # noqa: F401  (the user trusts it and imports it)

    assert marker.exists()
    inferencer = _build(vector_inferencer, weights=path)
    assert _labels(inferencer, setup) == setup.expected_labels()
    monkeypatch.delitem(sys.modules, "side_effect_mod")


def test_a_saved_configs_optional_imports_are_left_out_with_a_warning(
    setup: Any, vector_inferencer: Any, tmp_path: Path
) -> None:
    """allow_failed_imports=True: the file loads with a warning, and so must the
    checkpoint's copy (importing the module yourself is no fix when it is not installed)."""
    text = setup.config.read_text() + (
        "\ncustom_imports = dict(imports=['not_installed_here'], allow_failed_imports=True)\n"
    )
    path = tmp_path / "optional.pth"
    save_checkpoint({"state_dict": setup.reference.state_dict(), "meta": {"cfg": text}}, path)
    with pytest.warns(UserWarning, match=r"\['not_installed_here'\] were not imported"):
        inferencer = _build(vector_inferencer, weights=path)
    assert _labels(inferencer, setup) == setup.expected_labels()
