"""The analyzer API MMEngine's JitModelAnalysis offers: modes, handles, names, warnings, errors."""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import pytest
import torch
from torch import nn

from runner_core.analysis import FlopAnalyzer, JitModelAnalysis
from runner_core.analysis.handles import get_shape

from .conftest import make_case


class CountCalls(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.fc(x)


def test_ancestor_mode_owner_and_caller_match_mmengine() -> None:
    model, inputs = make_case("shared")
    # computed by MMEngine 0.10.7: ``a`` runs twice, once as ``inner.0``
    owner = FlopAnalyzer(model, inputs)
    assert dict(owner.by_module()) == {"": 384, "a": 384, "inner": 0, "inner.1": 0}
    caller = FlopAnalyzer(model, inputs).ancestor_mode("caller")
    assert dict(caller.by_module()) == {"": 384, "a": 384, "inner": 192, "inner.1": 0}
    assert owner.canonical_module_name("inner.0") == "a"
    assert owner.total("inner.0") == 384


def test_uncalled_modules_and_their_warning(warnings_logged: list[str]) -> None:
    model, inputs = make_case("misc")
    analyzer = FlopAnalyzer(model, inputs)
    # computed by MMEngine 0.10.7; nn.Identity runs nothing, so it is "uncalled" there too
    assert analyzer.uncalled_modules() == {"ident", "unused"}
    uncalled = [m for m in warnings_logged if "never called" in m]
    assert len(uncalled) == 1 and uncalled[0].endswith("\nunused")  # Identity is not warned of


def test_unsupported_operators_are_warned_once_per_analysis(warnings_logged: list[str]) -> None:
    model, inputs = make_case("resnet")
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.total()
    analyzer.by_module()
    analyzer.unsupported_ops()
    assert sorted(m for m in warnings_logged if m.startswith("Unsupported")) == [
        "Unsupported operator aten::add encountered 2 time(s)",
        "Unsupported operator aten::max_pool2d encountered 1 time(s)",
    ]


def test_warnings_can_be_switched_off(warnings_logged: list[str]) -> None:
    model, inputs = make_case("misc")
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False).total()
    assert warnings_logged == []


def test_unsupported_ops_before_any_statistic_runs_the_analysis() -> None:
    # MMEngine raises RuntimeError here; counting first is what the caller wants
    model, inputs = make_case("resnet")
    assert FlopAnalyzer(model, inputs).unsupported_ops("layer1") == {"aten::add": 1}


def test_changing_handles_recounts_without_running_the_model_again() -> None:
    model = CountCalls()
    analyzer = FlopAnalyzer(model, (torch.randn(2, 4),))
    assert analyzer.total() == 32 and model.calls == 1
    analyzer.set_op_handle("aten::linear", lambda inputs, outputs: 7)
    assert analyzer.total() == 7 and model.calls == 1
    assert analyzer.by_operator() == Counter({"linear": 7})


def test_a_handle_written_for_mmengine_works_unchanged() -> None:
    def linear_macs(inputs: list, outputs: list) -> Counter[str]:
        # jit-style: get_shape(value), value.toIValue()
        x, w = get_shape(inputs[0]) or [], get_shape(inputs[1]) or []
        return Counter({"fc": x[0] * x[1] * w[0], "bias": int(get_shape(inputs[2]) is not None)})

    model = nn.Sequential(nn.Linear(4, 3))
    analyzer = FlopAnalyzer(model, (torch.randn(2, 4),)).clear_op_handles()
    analyzer.set_op_handle("aten::linear", linear_macs)
    assert analyzer.by_operator() == Counter({"fc": 24, "bias": 1})


def test_set_op_handle_takes_pairs_and_keywords() -> None:
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    analyzer = FlopAnalyzer(model, (torch.randn(2, 4),))
    analyzer.set_op_handle("aten::linear", None, "aten::relu", lambda i, o: 5)
    assert analyzer.by_operator() == Counter({"relu": 5})
    analyzer.set_op_handle(**{"aten::relu": lambda i, o: 6})
    assert analyzer.total() == 6


def test_set_op_handle_with_an_odd_number_of_arguments_is_a_type_error() -> None:
    model, inputs = make_case("mlp")
    with pytest.raises(TypeError, match=r"set_op_handle got 3 positional arguments.*pairs"):
        FlopAnalyzer(model, inputs).set_op_handle("aten::linear", None, "aten::relu")


def test_a_handle_returning_something_else_than_a_number_is_a_value_error() -> None:
    model, inputs = make_case("mlp")
    analyzer = FlopAnalyzer(model, inputs).set_op_handle("aten::linear", lambda i, o: "many")
    with pytest.raises(ValueError, match="The handle of aten::linear returned str"):
        analyzer.total()


def test_unknown_modes_are_value_errors_naming_the_choices() -> None:
    model, inputs = make_case("mlp")
    analyzer = FlopAnalyzer(model, inputs)
    with pytest.raises(ValueError, match=r"ancestor_mode: unknown mode 'parent'.*'owner'"):
        analyzer.ancestor_mode("parent")
    with pytest.raises(
        ValueError, match=r"tracer_warnings: unknown mode 'some'.*no_tracer_warning"
    ):
        analyzer.tracer_warnings("some")


def test_an_unknown_module_name_is_a_key_error_with_a_suggestion() -> None:
    model, inputs = make_case("mlp")
    analyzer = FlopAnalyzer(model, inputs)
    with pytest.raises(KeyError, match=r"'fc3' is not a submodule of the analyzed MLP.*fc1"):
        analyzer.total("fc3")
    with pytest.raises(AssertionError, match="by name"):  # MMEngine asserts a str
        analyzer.total(model.fc1)  # type: ignore[arg-type]


def test_copy_keeps_handles_and_settings_on_new_inputs() -> None:
    model, inputs = make_case("shared")
    analyzer = FlopAnalyzer(model, inputs).ancestor_mode("caller")
    analyzer.set_op_handle("aten::linear", lambda i, o: 1)
    other = analyzer.copy(new_inputs=(torch.randn(5, 8),))
    assert dict(other.by_module()) == {"": 2, "a": 2, "inner": 1, "inner.1": 0}


def test_inputs_and_outputs_need_not_be_tensors() -> None:
    class Detector(nn.Module):  # data samples in, a dict with strings out
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 2)

        def forward(self, x: torch.Tensor, samples: list[dict], mode: str = "tensor") -> dict:
            return {"scores": self.fc(x), "labels": [s["label"] for s in samples], "mode": mode}

    analyzer = FlopAnalyzer(Detector(), (torch.randn(3, 4), [{"label": "cat"}] * 3, "predict"))
    assert analyzer.total() == 24


def test_data_parallel_counts_the_wrapped_model_under_both_names() -> None:
    model = nn.DataParallel(nn.Sequential(nn.Linear(4, 4)))
    # DataParallel moves the model to the first GPU where there is one; the analysis runs
    # the wrapped model on the inputs as given (as MMEngine's trace): they go there too
    device = next(model.parameters()).device
    analyzer = FlopAnalyzer(model, (torch.randn(2, 4, device=device),))
    # computed by MMEngine 0.10.7
    assert dict(analyzer.by_module()) == {"": 32, "module": 32, "module.0": 32}


def test_a_module_whose_output_is_unused_still_counts() -> None:
    # MMEngine's jit trace drops dead code: there b counts 0 and is "uncalled"
    class Dead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Linear(4, 4)
            self.b = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.b(x)
            return self.a(x)

    analyzer = FlopAnalyzer(Dead(), (torch.randn(2, 4),))
    assert dict(analyzer.by_module()) == {"": 64, "a": 32, "b": 32}
    assert analyzer.uncalled_modules() == set()


def test_operators_inside_a_custom_autograd_function_count() -> None:
    # MMEngine's trace sees one opaque prim::PythonOp (unsupported, 0 FLOPs)
    class MatMul(torch.autograd.Function):
        @staticmethod
        def forward(ctx, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return a @ b

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.randn(4, 4))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return MatMul.apply(x, self.w)

    assert FlopAnalyzer(Model(), (torch.randn(2, 4),)).by_operator() == Counter({"matmul": 32})


class _Kernel(torch.autograd.Function):
    """Stands for a compiled extension (VMamba's SelectiveScanFn, mmcv's deformable conv):
    its forward runs no torch operator the analysis can see."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(x.detach().numpy().cumsum(-1))

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        return grad


class _WithKernel(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(8, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _Kernel.apply(self.proj(x))


def test_a_handle_for_a_custom_kernels_python_op_counts_it_as_mmengine() -> None:
    """``prim::PythonOp.<Function>`` is the name MMEngine's trace gives a custom autograd
    Function; analysis scripts set handles for their kernels under it."""
    x = torch.randn(1, 4, 8)
    analyzer = FlopAnalyzer(_WithKernel(), (x,)).set_op_handle(
        **{"prim::PythonOp._Kernel": lambda inputs, outputs: 1000}
    )
    assert analyzer.by_operator() == Counter({"linear": 256, "PythonOp._Kernel": 1000})
    assert analyzer.unsupported_ops() == Counter()
    # without a handle the kernel is unsupported, not silently 0
    plain = FlopAnalyzer(_WithKernel(), (x,))
    assert plain.total() == 256
    assert plain.unsupported_ops() == Counter({"prim::PythonOp._Kernel": 1})


def test_a_function_of_uncounted_operators_is_one_unsupported_operator() -> None:
    """As MMEngine's trace lists it: not also the elementwise operators inside it."""

    class Scale(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x: torch.Tensor) -> torch.Tensor:
            return x * 2

        @staticmethod
        def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
            return grad * 2

    class Model(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = nn.Linear(4, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return Scale.apply(self.linear(x))

    analyzer = FlopAnalyzer(Model(), (torch.randn(2, 4),))
    assert analyzer.total() == 32
    assert analyzer.unsupported_ops() == Counter({"prim::PythonOp.Scale": 1})


def test_another_threads_functions_stay_out_of_an_analysis_and_apply_is_restored() -> None:
    """The analysis swaps torch.autograd.Function.apply for the whole process while it runs."""
    import threading

    inside, other_done = threading.Event(), threading.Event()

    class Waits(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            inside.set()  # the analysis is recording now
            assert other_done.wait(30)
            return x * 2

    original = torch.autograd.Function.__dict__["apply"]
    result: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: result.update(
            unsupported=FlopAnalyzer(Waits(), (torch.ones(2),)).unsupported_ops()
        )
    )
    worker.start()
    assert inside.wait(30)
    assert _Kernel.apply(torch.ones(1, 3)).tolist() == [[1.0, 2.0, 3.0]]  # this thread's call
    other_done.set()
    worker.join()
    assert "prim::PythonOp._Kernel" not in result["unsupported"]
    assert torch.autograd.Function.__dict__["apply"] is original


def test_an_analysis_inside_a_models_forward_nests() -> None:
    """A forward that sizes a sub-network with its own analysis (same thread)."""

    class Sizing(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = nn.Linear(4, 4)
            self.inner_flops = 0

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            self.inner_flops = FlopAnalyzer(self.inner, (x,)).total()
            return self.inner(x)

    model = Sizing()
    original = torch.autograd.Function.__dict__["apply"]
    # the outer forward ran the linear layer twice: once for the inner analysis
    assert FlopAnalyzer(model, (torch.randn(2, 4),)).total() == 64
    assert model.inner_flops == 32
    assert torch.autograd.Function.__dict__["apply"] is original


def test_an_error_in_the_model_names_the_analysis() -> None:
    model = nn.Linear(4, 2)
    with pytest.raises(RuntimeError) as info:
        FlopAnalyzer(model, (torch.randn(2, 5),)).total()
    assert "runner_core.analysis ran Linear(*inputs)" in "".join(info.value.__notes__)


def test_tracer_warnings_none_silences_the_forward() -> None:
    class Warns(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            warnings.warn("from forward", UserWarning, stacklevel=1)
            return x * 2

    with pytest.warns(UserWarning, match="from forward"):
        FlopAnalyzer(Warns(), (torch.randn(2),)).total()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        FlopAnalyzer(Warns(), (torch.randn(2),)).tracer_warnings("none").total()


def test_jit_model_analysis_is_the_base_with_no_handles() -> None:
    model, inputs = make_case("mlp")
    analysis = JitModelAnalysis(model, inputs)
    assert analysis.total() == 0
    assert analysis.unsupported_ops() == {"aten::linear": 2}


def test_share_forward_counts_activations_from_the_flop_analysis_pass() -> None:
    """get_model_complexity_info and runner-cli analyze run the model once for both."""
    from runner_core.analysis import ActivationAnalyzer
    from runner_core.analysis.errors import AnalysisError

    calls = []
    model = nn.Linear(4, 3)
    model.register_forward_hook(lambda *_: calls.append(1))
    inputs = (torch.randn(2, 4),)
    flops = FlopAnalyzer(model, inputs)
    activations = ActivationAnalyzer(model, inputs).share_forward(flops)
    assert (flops.total(), activations.total()) == (24, 6)
    assert len(calls) == 1
    with pytest.raises(AnalysisError, match="analyzes another model"):
        ActivationAnalyzer(nn.Linear(4, 3), inputs).share_forward(flops)
