"""Two gloo ranks: the model wrappers give MMEngine 0.10.7's losses, logs and wrapper types.

The losses pinned here are MMEngine's, from its Runner on the same models and
data (``MMDistributedDataParallel`` with accumulation, a registered wrapper of
one's own, ``MMSeparateDistributedDataParallel`` on a GAN). They were taken on an
Intel Xeon, where ours match them bitwise; another CPU's float kernels round
differently (an AMD EPYC's: 1.6e-7 relative), so they are compared to 1e-5.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from torchrun_helpers import rank_reports

WORKER = Path(__file__).with_name("_wrapper_parity_worker.py")

pytestmark = pytest.mark.slow

#: MMEngine's per-rank losses, 4 iterations, SGD(lr=0.1, momentum=0.9), accumulative_counts=2
ACCUMULATED = [
    [2.367666244506836, 1.3059145212173462, 0.6591721177101135, 0.3936169147491455],
    [0.7265423536300659, 1.5984293222427368, 2.1189422607421875, 0.33907562494277954],
]
#: MMEngine's MMSeparateDistributedDataParallel on the GAN, per rank: (loss_d, loss_g)
GAN = [
    [
        (3.0477778911590576, 0.9060907363891602),
        (3.1749355792999268, 1.46419095993042),
        (1.0816826820373535, 0.6200945973396301),
        (1.787456750869751, 0.3870505392551422),
    ],
    [
        (6.488566875457764, 1.313218593597412),
        (5.938758850097656, 2.036623239517212),
        (1.1415143013000488, 0.6166272163391113),
        (0.9599992632865906, 0.5035148859024048),
    ],
]


def mmengines(values: list[float]) -> Any:
    """MMEngine's ``values``, to this CPU's float rounding (see the module docstring)."""
    return pytest.approx(values, rel=1e-5)


@pytest.fixture(scope="module")
def ranks(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    reports = rank_reports(WORKER, tmp_path_factory.mktemp("wrapper_parity"))
    return reports


def test_no_check_failed(ranks: list[dict[str, Any]]) -> None:
    assert [r.get("failed") for r in ranks] == [None, None]


def test_registered_wrapper_overriding_train_step_uses_run_forward(
    ranks: list[dict[str, Any]],
) -> None:
    # MMEngine's documented pattern: subclass MMDistributedDataParallel, call self._run_forward
    for rank, res in enumerate(ranks):
        assert res["own_wrapper"] == ["StepCountingDDP", True, "Net"]
        assert res["own_wrapper_calls"] == 4
        assert res["own_wrapper_losses"] == mmengines(ACCUMULATED[rank])


def test_own_train_step_accumulates_without_all_reduce(ranks: list[dict[str, Any]]) -> None:
    zero, one = ranks
    for rank, res in enumerate(ranks):  # MMEngine's numbers (its DDP runs forward(mode='loss'))
        assert res["own_step_losses"] == mmengines(ACCUMULATED[rank])
    # accumulation iterations keep each rank's gradient; update iterations clear them
    assert zero["own_step_grads"][0] != one["own_step_grads"][0]
    assert zero["own_step_grads"][1] is None and one["own_step_grads"][1] is None


def test_separate_ddp_trains_a_gan_as_mmengine(ranks: list[dict[str, Any]]) -> None:
    for rank, res in enumerate(ranks):
        assert res["separate"] == ["SeparateDistributedDataParallel", True, "Sequential"]
        got = [loss for d in res["separate_losses"] for loss in (d["loss_d"], d["loss_g"])]
        assert got == mmengines([loss for pair in GAN[rank] for loss in pair])
        # the children stay the user's modules: checkpoint keys as in one process
        assert res["separate_keys"] == [
            "disc.0.bias",
            "disc.0.weight",
            "gen.0.bias",
            "gen.0.weight",
        ]
        assert res["separate_val"] == 4


def test_separate_ddp_skips_all_reduce_of_an_accumulating_child(
    ranks: list[dict[str, Any]],
) -> None:
    zero, one = ranks
    assert zero["apart_grads"][0] != one["apart_grads"][0]  # local: optim_context -> no_sync
    assert zero["apart_grads"][1] is None
    assert zero["apart_attrs_left"] == [] and one["apart_attrs_left"] == []


def test_detect_anomalous_params_logs_each_iteration_and_trains_on(
    ranks: list[dict[str, Any]],
) -> None:
    # MMEngine's lines (the wrapper's names, hence "module."), level ERROR, on every rank
    lines = [
        "module.extra.weight with shape torch.Size([2, 4]) is not in the computational graph \n",
        "module.extra.bias with shape torch.Size([2]) is not in the computational graph \n",
    ]
    for res in ranks:
        assert res["detect_unused"] == lines * 4
        assert res["detect_clean"] == []
        assert res["detect_own_step"] == lines


def test_prewrapped_model_is_not_wrapped_again(ranks: list[dict[str, Any]]) -> None:
    for res in ranks:
        assert res["prewrapped"] == [True, "Net"]


def test_unused_parameter_error_names_it_and_the_key(ranks: list[dict[str, Any]]) -> None:
    for res in ranks:
        kind, message = res["unused_error"]
        assert kind == "RunnerError"  # a RuntimeError, as torch's
        assert "extra.weight, extra.bias of Net got no gradient" in message
        assert "find_unused_parameters=True" in message
        assert "model_wrapper_cfg=dict(type='MMDistributedDataParallel'" in message
