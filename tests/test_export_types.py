"""User code written the MMEngine way type-checks against our packages (mypy --strict).

The lazily exported names (``from runner_core import BaseModel``) carry their
real types, so a subclass is checked and a misspelled import is an error;
data element fields read as ``Any`` while derived elements keep their class;
``@REGISTRY.register_module()`` keeps the decorated object's type. A line
marked ``# E: <code>`` must get exactly that mypy error; no other line may get one.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from user_code_mypy import run_mypy

USER_CODE = """
from typing import Any, assert_type

import runner_core
import runner_core.optim
from runner_core import FUNCTIONS, MODELS, BaseModel, MessageHub, Registry
from runner_core import Runnr  # E: attr-defined
from runner_core.optim import OptimWrapper, OptimWraper  # E: attr-defined
from runner_core.structures import BaseDataElement, InstanceData
from runner_hooks_standard import CheckpointHook
from runner_hooks_standard import CheckpoinHook  # E: attr-defined
from runner_trackers import TrackerBackend


class MyModel(BaseModel):  # --strict refuses subclassing Any
    def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
        return inputs


class MyCheckpointHook(CheckpointHook):
    pass


MyCheckpointHook(interval=2)
MyCheckpointHook(intervall=2)  # E: call-arg
assert_type(MessageHub.get_current_instance(), MessageHub)
assert_type(runner_core.MODELS, Registry)
assert_type(runner_core.optim.OptimWrapper, type[OptimWrapper])
assert_type(TrackerBackend.__name__, str)

inst = InstanceData(metainfo=dict(img_shape=(4, 4)))
inst.bboxes = [[0, 0, 1, 1], [1, 1, 2, 2]]
boxes: list[list[int]] = inst.bboxes
shape: tuple[int, int] = inst.img_shape
assert_type(inst[0], InstanceData)
assert_type(inst[0:1], InstanceData)
assert_type(inst[[0, 1]], InstanceData)
assert_type(inst.clone(), InstanceData)
inst.clone(1)  # E: call-arg


class DetSample(BaseDataElement):
    pass


sample = DetSample()
sample.gt_instances = inst
count: int = len(sample.gt_instances)
assert_type(sample.new(), DetSample)
assert_type(sample.cpu().to("cpu").detach().numpy().to_tensor(), DetSample)


@FUNCTIONS.register_module()
def collate(batch: list[int]) -> list[int]:
    return batch


@MODELS.register_module("MyNet", force=True)
class MyNet(MyModel):
    pass


collate([1, 2])
collate("12")  # E: arg-type
assert_type(MyNet(), MyNet)
assert_type(MODELS.register_module(module=MyModel), type[MyModel])
assert_type(MODELS.register_module("Alias", True, MyModel), type[MyModel])
"""

# torch, numpy and the tracker libraries are not checked (minutes on a cold cache)
MYPY_INI = """\
[mypy]
python_version = 3.11
[mypy-torch.*,numpy.*,mlflow.*,wandb.*,aim.*,dvclive.*]
follow_imports = skip
ignore_missing_imports = True
"""


def _expected(code: str) -> set[tuple[int, str]]:
    found = set()
    for number, line in enumerate(code.splitlines(), start=1):
        match = re.search(r"# E: ([\w-]+)", line)
        if match:
            found.add((number, match.group(1)))
    return found


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")
def test_user_code_gets_real_types_from_our_exports(tmp_path: Path) -> None:
    flags = ("--strict", "--hide-error-context", "--show-error-codes")
    output, reported = run_mypy(tmp_path, USER_CODE, MYPY_INI, *flags)
    errors = {
        (line, code)
        for line, messages in reported.items()
        for message in messages
        for code in re.findall(r"\[([\w-]+)\]$", message)
    }
    assert errors == _expected(USER_CODE), f"mypy --strict on the user code:\n{output}"
