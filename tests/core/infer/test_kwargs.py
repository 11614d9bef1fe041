"""The four keyword sets of an inferencer class: checked when the class is created."""

from __future__ import annotations

from typing import Any

import pytest

from runner_core.infer import BaseInferencer, InferencerDefinitionError
from runner_core.infer.kwargs import dispatch_kwargs


def test_a_keyword_in_two_steps_is_refused_when_the_class_is_created() -> None:
    with pytest.raises(
        AssertionError, match=r"'show' is in both visualize_kwargs and postprocess"
    ) as info:

        class Twice(BaseInferencer):
            visualize_kwargs = {"show"}
            postprocess_kwargs = {"show", "print_result"}

    assert isinstance(info.value, InferencerDefinitionError)


def test_a_keyword_list_is_refused_naming_the_attribute() -> None:
    with pytest.raises(InferencerDefinitionError, match=r"Listed\.forward_kwargs must be a set"):

        class Listed(BaseInferencer):
            forward_kwargs = ["note"]  # type: ignore[assignment]


def test_subclasses_inherit_and_extend_the_sets() -> None:
    class Base(BaseInferencer):
        visualize_kwargs = {"show"}

    class Child(Base):
        postprocess_kwargs = {"print_result"}

    assert dispatch_kwargs(Child, {"show": 1, "print_result": 2}) == (
        {},
        {},
        {"show": 1},
        {"print_result": 2},
    )


def test_several_unknown_keywords_are_all_named() -> None:
    class Small(BaseInferencer):
        postprocess_kwargs = {"pred_out_dir"}

    kwargs: dict[str, Any] = {"pred_out_dri": "x", "colour": 1}
    with pytest.raises(ValueError, match=r"'pred_out_dri', 'colour'\. Did you mean 'pred_out_dir'"):
        dispatch_kwargs(Small, kwargs)


def test_a_keyword_set_an_instance_widens_is_dispatched_as_in_mmengine() -> None:
    class Drawing(BaseInferencer):
        visualize_kwargs = {"show"}

        def _init_pipeline(self, cfg: Any) -> Any:
            return None

        def visualize(self, inputs: Any, preds: Any, **kwargs: Any) -> Any:
            return None

        def postprocess(self, preds: Any, visualization: Any, *args: Any, **kwargs: Any) -> Any:
            return None

    drawing = Drawing.__new__(Drawing)  # no model needed: dispatching reads the four sets
    drawing.visualize_kwargs = Drawing.visualize_kwargs | {"box_color"}  # as in an __init__
    assert drawing._dispatch_kwargs(box_color="red")[2] == {"box_color": "red"}
    with pytest.raises(ValueError, match="box_color"):
        dispatch_kwargs(Drawing, {"box_color": "red"})
