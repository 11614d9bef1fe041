"""BaseInferencer end to end: a subclass built from a config file and a checkpoint."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from runner_core.data.collate import default_collate, pseudo_collate
from runner_core.infer import BaseInferencer, InferencerAttributeError, InferencerError
from runner_core.visualization import Visualizer


def _quiet(cls: Any, *args: Any, **kwargs: Any) -> Any:
    kwargs.setdefault("device", "cpu")
    kwargs.setdefault("show_progress", False)
    return cls(*args, **kwargs)


def test_predictions_are_the_checkpoint_models(setup: Any, vector_inferencer: Any) -> None:
    inferencer = _quiet(vector_inferencer, str(setup.config), weights=str(setup.weights))
    result = inferencer(setup.inputs)
    assert set(result) == {"predictions", "visualization"}
    assert [p["label"] for p in result["predictions"]] == setup.expected_labels()
    with torch.no_grad():
        first = setup.reference.fc(torch.from_numpy(np.load(setup.inputs[0])))
    assert result["predictions"][0]["scores"] == pytest.approx(first.tolist())
    assert [p["class"] for p in result["predictions"]] == [
        setup.classes[i] for i in setup.expected_labels()
    ]
    assert not inferencer.model.training
    assert next(inferencer.model.parameters()).device.type == "cpu"
    assert inferencer.cfg.model.type == "InferLinear"
    assert inferencer.model.cfg is inferencer.cfg  # as MMEngine sets it


def test_batch_size_2_over_5_inputs_gives_batches_of_2_2_1(
    setup: Any, vector_inferencer: Any
) -> None:
    inferencer = _quiet(vector_inferencer, setup.config, weights=setup.weights)
    batched = inferencer(setup.inputs, batch_size=2)
    assert inferencer.batch_sizes == [2, 2, 1]
    inferencer.batch_sizes.clear()
    single = inferencer(setup.inputs)
    assert inferencer.batch_sizes == [1] * 5
    for a, b in zip(batched["predictions"], single["predictions"], strict=True):
        assert a["label"] == b["label"] and a["scores"] == pytest.approx(b["scores"])


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, True])
def test_batch_size_below_1_is_refused_naming_it(
    setup: Any, vector_inferencer: Any, batch_size: Any
) -> None:
    # MMEngine loops forever on batch_size=0 (every chunk is empty)
    inferencer = _quiet(vector_inferencer, setup.config, weights=setup.weights)
    with pytest.raises(ValueError, match=r"batch_size=.*at least 1"):
        inferencer(setup.inputs, batch_size=batch_size)


def test_a_folder_gives_its_files_in_name_order(setup: Any, vector_inferencer: Any) -> None:
    (setup.folder / "vectors" / ".hidden.npy").write_bytes(b"not an array")
    inferencer = _quiet(vector_inferencer, setup.config, weights=setup.weights)
    assert inferencer._inputs_to_list(str(setup.folder / "vectors")) == setup.inputs
    by_folder = inferencer(str(setup.folder / "vectors"), batch_size=2)
    assert [p["label"] for p in by_folder["predictions"]] == setup.expected_labels()


def test_one_file_one_array_and_a_tuple(setup: Any, vector_inferencer: Any) -> None:
    inferencer = _quiet(vector_inferencer, setup.config, weights=setup.weights)
    assert inferencer._inputs_to_list(setup.inputs[0]) == [setup.inputs[0]]
    one = inferencer(setup.inputs[0])["predictions"]
    assert [p["label"] for p in one] == setup.expected_labels(setup.inputs[:1])
    array = np.load(setup.inputs[1])
    assert inferencer._inputs_to_list(array)[0] is array
    assert len(inferencer(array)["predictions"]) == 1
    assert inferencer._inputs_to_list(tuple(setup.inputs[:2])) == setup.inputs[:2]


def test_call_keywords_reach_their_step(setup: Any, vector_inferencer: Any) -> None:
    inferencer = _quiet(vector_inferencer, setup.config, weights=setup.weights)
    inferencer(setup.inputs[:1], return_datasamples=True, scale=2, note="n", show=True, topk=3)
    assert inferencer.seen == {
        "preprocess": {"scale": 2},
        "forward": {"note": "n"},
        "visualize": {"show": True},
        "postprocess": {"return_datasample": True, "topk": 3},
    }
    assert inferencer._dispatch_kwargs(topk=1, scale=0) == ({"scale": 0}, {}, {}, {"topk": 1})


def test_an_unknown_call_keyword_is_named_with_a_suggestion(
    setup: Any, vector_inferencer: Any
) -> None:
    inferencer = _quiet(vector_inferencer, setup.config, weights=setup.weights)
    with pytest.raises(ValueError, match=r"'shw'\. Did you mean 'show'\?") as info:
        inferencer(setup.inputs, shw=True)
    assert isinstance(info.value, InferencerError)
    assert "visualize: show" in str(info.value) and "postprocess: topk" in str(info.value)
    assert inferencer.batch_sizes == []  # refused before any work


def test_progress_bar_runs(setup: Any, vector_inferencer: Any) -> None:
    inferencer = vector_inferencer(setup.config, weights=setup.weights, device="cpu")
    assert inferencer.show_progress is True
    assert len(inferencer(setup.inputs, batch_size=2)["predictions"]) == 5


def test_default_device_and_scope(
    setup: Any, vector_inferencer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collections import OrderedDict

    from runner_core.registry import DefaultScope, scope

    monkeypatch.setattr(DefaultScope, "_instance_dict", OrderedDict())
    DefaultScope.get_instance("test", scope_name="runner_core")
    inferencer = vector_inferencer(setup.config, weights=setup.weights, show_progress=False)
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert next(inferencer.model.parameters()).device.type == expected
    assert inferencer.scope == "runner_core"  # the default scope, as MMEngine takes it
    assert _quiet(vector_inferencer, setup.config, weights=setup.weights, scope="x").scope == "x"
    assert scope.get_default_scope() == "runner_core"  # building did not change it


def test_collate_fn_comes_from_the_test_dataloader(setup: Any, vector_inferencer: Any) -> None:
    plain = _quiet(vector_inferencer, setup.config, weights=setup.weights)
    assert plain.collate_fn is default_collate  # the Runner's loaders' default
    by_name = setup.write_config("named.py", extra_loader=", collate_fn='pseudo_collate'")
    inferencer = _quiet(vector_inferencer, by_name, weights=setup.weights)
    assert inferencer.collate_fn is pseudo_collate
    assert [p["label"] for p in inferencer(setup.inputs, batch_size=2)["predictions"]] == (
        setup.expected_labels()
    )
    as_dict = setup.write_config("dict.py", extra_loader=", collate_fn=dict(type='pseudo_collate')")
    assert _quiet(vector_inferencer, as_dict, weights=setup.weights).collate_fn is pseudo_collate


def test_an_unknown_collate_fn_is_named(setup: Any, vector_inferencer: Any) -> None:
    # MMEngine gets None from the registry and fails at the first batch (a TypeError)
    bad = setup.write_config("bad.py", extra_loader=", collate_fn='psuedo_collate'")
    with pytest.raises(TypeError, match=r"psuedo_collate.*pseudo_collate.*test_dataloader"):
        _quiet(vector_inferencer, bad, weights=setup.weights)


def test_visualizer_is_built_from_the_config_with_the_class_names(
    setup: Any, vector_inferencer: Any
) -> None:
    config = setup.write_config(
        "vis.py", extra="visualizer = dict(type='Visualizer', name='infer-test-vis')"
    )
    first = _quiet(vector_inferencer, config, weights=setup.weights)
    assert isinstance(first.visualizer, Visualizer) and first.visualizer.name == "infer-test-vis"
    assert first.visualizer.dataset_meta == {"classes": list(setup.classes)}
    assert Visualizer.get_current_instance() is first.visualizer
    # get_instance made one of that name: MMEngine's inferencer then builds its own, renamed
    kept = Visualizer.get_instance("infer-test-vis-kept")
    named = setup.write_config(
        "vis2.py", extra="visualizer = dict(type='Visualizer', name='infer-test-vis-kept')"
    )
    second = _quiet(vector_inferencer, named, weights=setup.weights)
    assert second.visualizer is not kept
    assert second.visualizer.name.startswith("infer-test-vis-kept-")
    assert _quiet(vector_inferencer, setup.config, weights=setup.weights).visualizer is None


def test_a_runner_configs_visualizer_without_type_is_a_visualizer(
    setup: Any, vector_inferencer: Any
) -> None:
    # a Runner builds a Visualizer for `visualizer = dict(...)` without a type; so does this
    config = setup.write_config("notype.py", extra="visualizer = dict(name='infer-no-type')")
    inferencer = _quiet(vector_inferencer, config, weights=setup.weights)
    assert type(inferencer.visualizer) is Visualizer
    assert inferencer.visualizer.name == "infer-no-type"


class _BatchedDict(BaseInferencer):
    """An inferencer over a model whose predict gives one dict of batched tensors."""

    def _init_pipeline(self, cfg: Any) -> Any:
        from runner_core.dataset import Compose

        return Compose(cfg.test_dataloader.dataset.pipeline)

    def forward(self, inputs: Any, **kwargs: Any) -> Any:
        rows = super().forward(inputs)  # one dict per sample, from InferLinear
        return {
            "scores": torch.stack([row["scores"] for row in rows]),
            "label": [row["label"] for row in rows],
            "step": torch.tensor(7),  # not batched: every sample gets it
        }

    def visualize(self, inputs: list, preds: Any, **kwargs: Any) -> Any:
        return None

    def postprocess(self, preds: Any, visualization: Any, *args: Any, **kwargs: Any) -> Any:
        return preds


def test_a_dict_of_batched_predictions_is_split_per_sample(setup: Any) -> None:
    inferencer = _quiet(_BatchedDict, setup.config, weights=setup.weights)
    preds = inferencer(setup.inputs, batch_size=2)
    assert [p["label"] for p in preds] == setup.expected_labels()
    assert all(p["scores"].shape == (3,) and int(p["step"]) == 7 for p in preds)


def test_a_model_without_test_step_is_named(setup: Any, vector_inferencer: Any) -> None:
    config = setup.write_config("linear.py")
    config.write_text(
        config.read_text().replace(
            "type='InferLinear', in_features=4, num_classes=3",
            "type='Linear', in_features=4, out_features=3",
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # random weights
        inferencer = _quiet(vector_inferencer, config)
    with pytest.raises(AttributeError, match=r"Linear has no test_step\(\).*override forward"):
        inferencer(setup.inputs)
    assert issubclass(InferencerAttributeError, InferencerError)


def test_a_subclass_must_implement_the_abstract_steps(setup: Any) -> None:
    class Half(BaseInferencer):
        def _init_pipeline(self, cfg: Any) -> Any:
            return lambda x: x

    with pytest.raises(TypeError, match="abstract"):
        Half(setup.config, weights=setup.weights)  # type: ignore[abstract]


def test_mmengine_type_names_are_importable() -> None:
    from runner_core.infer.infer import ConfigType, InputsType, InputType, ModelType, ResType

    assert all(t is not None for t in (ConfigType, InputsType, InputType, ModelType, ResType))


def test_path_objects_are_accepted(setup: Any, vector_inferencer: Any) -> None:
    inferencer = _quiet(vector_inferencer, Path(setup.config), weights=Path(setup.weights))
    assert inferencer._inputs_to_list(setup.folder / "vectors") == setup.inputs


def test_scope_finds_the_config_names_in_that_librarys_registry(
    setup: Any, vector_inferencer: Any
) -> None:
    from runner_core.registry import MODELS, Registry

    child = Registry("model", parent=MODELS, scope="infer_test_lib")
    try:
        child.register_module(name="ScopedLinear", module=MODELS.get("InferLinear"))
        config = setup.write_config("scoped.py")
        config.write_text(config.read_text().replace("'InferLinear'", "'ScopedLinear'"))
        with pytest.raises(KeyError, match="ScopedLinear"):
            _quiet(vector_inferencer, config, weights=setup.weights)
        inferencer = _quiet(
            vector_inferencer, config, weights=setup.weights, scope="infer_test_lib"
        )
        assert [p["label"] for p in inferencer(setup.inputs)["predictions"]] == (
            setup.expected_labels()
        )
    finally:
        MODELS.children.pop("infer_test_lib", None)
