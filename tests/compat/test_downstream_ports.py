"""OpenMMLab code ported with its imports changed from ``mmengine.*`` to ``runner_core.*``.

Each test is a downstream script in small: mmdet's and mmpretrain's ``get_flops.py``, an
mmdet dataset reading through ``get_file_backend``/``FileClient``, ``init_detector`` and
two Runners of a fake library ``portdet``, mmcv-style utilities, a ``txt`` file handler.
The expected numbers and scopes are what MMEngine 0.10.7 gives for the same script.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import textwrap
import warnings
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn

from runner_core import Runner, fileio
from runner_core.analysis import get_model_complexity_info
from runner_core.analysis.print_helper import _format_size
from runner_core.config import Config
from runner_core.fileio import (
    BaseFileHandler,
    BaseStorageBackend,
    FileClient,
    dump,
    get_file_backend,
    handlers,
    list_from_file,
    load,
    register_backend,
    register_handler,
)
from runner_core.fileio import registry as backend_registry
from runner_core.model import BaseModel
from runner_core.registry import MODELS, DefaultScope, init_default_scope
from runner_core.registry import scope as scopes
from runner_core.structures import BaseDataElement
from runner_core.utils import (
    ManagerMixin,
    deprecated_api_warning,
    get_git_hash,
    track_iter_progress,
    track_parallel_progress,
)
from runner_core.utils.dl_utils import TimeCounter, collect_env

# two downstream libraries, declared as OpenMMLab declares them (mmdet/registry.py)
_REGISTRY = """
    from runner_core.registry import MODELS as ROOT_MODELS, DATASETS as ROOT_DATASETS
    from runner_core.registry import TRANSFORMS as ROOT_TRANSFORMS, Registry
    MODELS = Registry('model', parent=ROOT_MODELS, locations=['{lib}.models'])
    DATASETS = Registry('dataset', parent=ROOT_DATASETS, locations=['{lib}.datasets'])
    TRANSFORMS = Registry('transform', parent=ROOT_TRANSFORMS, locations=['{lib}.datasets'])
"""
_NET = """
    import torch
    from torch import nn
    from runner_core.model import BaseModel
    from runner_core.registry import DefaultScope
    from {lib}.registry import MODELS

    SEEN = []

    @MODELS.register_module()
    class Net(BaseModel):
        def __init__(self, sub=None):
            SEEN.append(DefaultScope.get_current_instance().scope_name)
            super().__init__()
            self.lin = nn.Linear(48, 1)
            self.sub = MODELS.build(sub) if sub else None

        def forward(self, inputs, data_samples=None, mode='tensor'):
            x = torch.stack(inputs) if isinstance(inputs, list) else inputs
            y = self.lin(x.flatten(1))
            return dict(loss=y.pow(2).mean()) if mode == 'loss' else y

    @MODELS.register_module()
    class Sub{cap}(nn.Module):
        pass
"""
_DETECTOR = """
    from torch import nn
    from runner_core.model import BaseModel, BaseModule
    from portdet.registry import MODELS

    @MODELS.register_module()
    class TinyBackbone(BaseModule):
        def __init__(self):
            super().__init__()
            def block(i, o):
                return nn.Sequential(nn.Conv2d(i, o, 3, 2, 1), nn.BatchNorm2d(o), nn.ReLU())
            self.stem, self.layer1, self.layer2 = block(3, 8), block(8, 16), block(16, 32)

        def forward(self, x):
            c1 = self.layer1(self.stem(x))
            return c1, self.layer2(c1)

    @MODELS.register_module()
    class TinyFPN(BaseModule):
        def __init__(self, in_channels=(16, 32), out_channels=16):
            super().__init__()
            self.lateral = nn.ModuleList(nn.Conv2d(c, out_channels, 1) for c in in_channels)
            self.fpn = nn.ModuleList(
                nn.Conv2d(out_channels, out_channels, 3, padding=1) for _ in in_channels)

        def forward(self, feats):
            lat = [conv(f) for conv, f in zip(self.lateral, feats)]
            lat[0] = lat[0] + nn.functional.interpolate(lat[1], size=lat[0].shape[2:])
            return tuple(conv(x) for conv, x in zip(self.fpn, lat))

    @MODELS.register_module()
    class TinyHead(BaseModule):
        def __init__(self, in_channels=16, num_classes=3):
            super().__init__()
            self.cls = nn.Conv2d(in_channels, num_classes, 3, padding=1)
            self.reg = nn.Conv2d(in_channels, 4, 3, padding=1)

        def forward(self, feats):
            return [self.cls(f) for f in feats], [self.reg(f) for f in feats]

    @MODELS.register_module()
    class TinyDetector(BaseModel):
        def __init__(self, backbone, neck, bbox_head, data_preprocessor=None):
            super().__init__(data_preprocessor=data_preprocessor)
            self.backbone = MODELS.build(backbone)
            self.neck = MODELS.build(neck)
            self.bbox_head = MODELS.build(bbox_head)

        def forward(self, inputs, data_samples=None, mode='tensor'):
            return self.bbox_head(self.neck(self.backbone(inputs)))
"""
_DATASETS = """
    import numpy as np
    import torch
    from runner_core import fileio
    from runner_core.dataset import BaseDataset
    from runner_core.fileio import FileClient, get_file_backend, list_from_file
    from portdet.registry import DATASETS, TRANSFORMS

    @DATASETS.register_module()
    class VOCLike(BaseDataset):
        METAINFO = dict(classes=('cat', 'dog'))

        def __init__(self, *args, backend_args=None, **kwargs):
            self.backend_args = backend_args.copy() if backend_args else None
            super().__init__(*args, **kwargs)

        def load_data_list(self):
            img_ids = list_from_file(self.ann_file, backend_args=self.backend_args)
            backend = get_file_backend(self.data_prefix['img'], backend_args=self.backend_args)
            return [dict(img_id=i, img_path=backend.join_path(self.data_prefix['img'], i + '.raw'))
                    for i in img_ids]

    @TRANSFORMS.register_module()
    class LoadImg:
        # mmcv 2.x LoadImageFromFile: file_client_args (deprecated) or backend_args
        def __init__(self, file_client_args=None, backend_args=None):
            self.file_client_args = file_client_args
            self.backend_args = backend_args
            if file_client_args is not None:
                self.file_client = FileClient(**file_client_args)

        def __call__(self, results):
            filename = results['img_path']
            if self.file_client_args is not None:
                client = FileClient.infer_client(self.file_client_args, filename)
                img_bytes = client.get(filename)
                assert img_bytes == self.file_client.get(filename)
            else:
                img_bytes = fileio.get(filename, backend_args=self.backend_args)
            img = np.frombuffer(img_bytes, dtype=np.uint8).reshape(3, 4, 4)
            return dict(inputs=torch.from_numpy(img.copy()).float(), data_samples=results['img_id'])
"""


@pytest.fixture
def libs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """``portdet`` and ``portseg`` on sys.path; scopes, registries and backends restored after."""
    files = {"portdet/datasets.py": _DATASETS, "portdet/detectors.py": _DETECTOR}
    for lib in ("portdet", "portseg"):
        files[f"{lib}/__init__.py"] = ""
        files[f"{lib}/registry.py"] = _REGISTRY.format(lib=lib)
        files[f"{lib}/models.py"] = _NET.format(lib=lib, cap=lib.capitalize())
    files = {rel: textwrap.dedent(src) for rel, src in files.items()}
    files["portdet/models.py"] += "\nfrom portdet.detectors import *  # noqa\n"
    for rel, src in files.items():
        (tmp_path / "site" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "site" / rel).write_text(src)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    saved_scopes = list(DefaultScope._instance_dict.items())
    imported = set(scopes._imported)
    tables: list[dict[Any, Any]] = [
        backend_registry.backends,
        backend_registry.prefix_to_backends,
        handlers.file_handlers,
        FileClient._backends,
        FileClient._prefix_to_backends,
        FileClient._instances,
    ]
    saved_tables = [dict(t) for t in tables]
    DefaultScope._instance_dict.clear()
    yield {"tmp": tmp_path}
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved_scopes)
    scopes._imported.clear()
    scopes._imported.update(imported)
    for table, content in zip(tables, saved_tables):
        table.clear()
        table.update(content)
    backend_registry._instances.clear()
    from runner_core.registry import DATASETS, TRANSFORMS

    for root in (MODELS, DATASETS, TRANSFORMS):
        for lib in ("portdet", "portseg"):
            root.children.pop(lib, None)
    for name in [m for m in sys.modules if m.split(".")[0] in ("portdet", "portseg")]:
        del sys.modules[name]


def _current() -> str | None:
    current = DefaultScope.get_current_instance()
    return None if current is None else current.scope_name


def test_mmdet_get_flops_port(libs: dict[str, Any]) -> None:
    """tools/analysis_tools/get_flops.py of mmdet: init_default_scope, MODELS.build, the
    data preprocessor, forward patched with the data samples, then _format_size."""
    cfg = Config(
        dict(
            model=dict(
                type="TinyDetector",
                data_preprocessor=dict(
                    type="ImgDataPreprocessor",
                    mean=[123.675, 116.28, 103.53],
                    std=[58.395, 57.12, 57.375],
                    bgr_to_rgb=True,
                    pad_size_divisor=32,
                ),
                backbone=dict(type="TinyBackbone"),
                neck=dict(type="TinyFPN"),
                bbox_head=dict(type="TinyHead"),
            )
        )
    )
    init_default_scope(cfg.get("default_scope", "portdet"))
    DET_MODELS = importlib.import_module("portdet.registry").MODELS

    model = DET_MODELS.build(cfg.model).eval()
    _forward = model.forward
    avg_flops = []
    for height in (60, 64):
        data_batch = dict(
            inputs=[torch.randint(0, 255, (3, height, 80), dtype=torch.uint8)],
            data_samples=[BaseDataElement(metainfo=dict(ori_shape=(height, 80)))],
        )
        data = model.data_preprocessor(data_batch)
        model.forward = partial(_forward, data_samples=data["data_samples"])
        outputs = get_model_complexity_info(
            model, None, inputs=data["inputs"], show_table=False, show_arch=False
        )
        avg_flops.append(outputs["flops"])
        assert (outputs["out_table"], outputs["out_arch"]) == ("", "")
    # MMEngine 0.10.7 on the same script: 3002880 FLOPs, 40224 activations, 12599 params
    assert avg_flops == [3002880, 3002880] and outputs["activations"] == 40224
    assert _format_size(int(np.average(avg_flops))) == "3.003M"
    assert _format_size(outputs["params"]) == "12.599K"
    table = get_model_complexity_info(model, None, inputs=data["inputs"], show_arch=False)
    assert table["out_table"].endswith("+\n")  # print() leaves a blank line, as MMEngine's


def test_mmpretrain_get_flops_port() -> None:
    """mmpretrain's get_flops.py: forward = extract_feat, input_shape=(3, H, W)."""

    class Classifier(BaseModel):
        def __init__(self) -> None:
            super().__init__()
            self.backbone = nn.Sequential(
                nn.Conv2d(3, 8, 3, 2, 1), nn.BatchNorm2d(8), nn.ReLU(),
                nn.Conv2d(8, 16, 3, 2, 1, groups=2),
            )  # fmt: skip
            self.neck = nn.AdaptiveAvgPool2d(1)
            self.head = nn.Linear(16, 10)

        def extract_feat(self, inputs: torch.Tensor) -> tuple[torch.Tensor]:
            return (self.neck(self.backbone(inputs)).flatten(1),)

        def forward(self, inputs: Any, data_samples: Any = None, mode: str = "tensor") -> Any:
            return self.head(self.extract_feat(inputs)[0])

    model = Classifier().eval()
    model.forward = model.extract_feat  # type: ignore[method-assign,assignment]
    result = get_model_complexity_info(model, (3, 32, 32))
    numbers = {k: v for k, v in result.items() if not k.startswith("out_")}
    assert numbers == dict(  # MMEngine 0.10.7
        flops=97280, flops_str="97.28K", activations=3072, activations_str="3.072K",
        params=1002, params_str="1.002K",
    )  # fmt: skip
    assert "|  neck " in result["out_table"] and "#params: 0.83K" in result["out_arch"]


def test_mmdet_dataset_port_reads_through_backends(libs: dict[str, Any]) -> None:
    """An mmdet dataset (list_from_file, get_file_backend, join_path) and LoadImageFromFile
    (fileio.get or FileClient) on local files and on a user's ``mem://`` backend."""
    store: dict[str, bytes] = {}

    @register_backend("mem", prefixes="mem")
    class MemBackend(BaseStorageBackend):
        def __init__(self, bucket: str | None = None) -> None:
            self.bucket = bucket

        def get(self, filepath: Any) -> bytes:
            return store[str(filepath)]

        def get_text(self, filepath: Any, encoding: str = "utf-8") -> str:
            return store[str(filepath)].decode(encoding)

        def put(self, obj: bytes, filepath: Any) -> None:
            store[str(filepath)] = obj

        def join_path(self, filepath: Any, *filepaths: Any) -> str:
            return "/".join([str(filepath).rstrip("/"), *filepaths])

    ids = ["a1", "b2", "c3", "d4"]
    local = libs["tmp"] / "data"
    (local / "ImageSets").mkdir(parents=True)
    (local / "JPEGImages").mkdir()
    (local / "ImageSets/train.txt").write_text("\n".join(ids))
    fileio.put("\n".join(ids).encode(), "mem://bucket/ImageSets/train.txt")
    for k, i in enumerate(ids):
        (local / f"JPEGImages/{i}.raw").write_bytes(bytes([k] * 48))
        fileio.put(bytes([k] * 48), f"mem://bucket/JPEGImages/{i}.raw")

    init_default_scope("portdet")

    def batches(root: str, load: dict[str, Any], backend_args: Any = None) -> list[Any]:
        dataset = dict(
            type="VOCLike",
            data_root=root,
            ann_file="ImageSets/train.txt",
            data_prefix=dict(img="JPEGImages"),
            pipeline=[dict(type="LoadImg", **load)],
            backend_args=backend_args,
        )
        loader = Runner.build_dataloader(
            dict(
                batch_size=2,
                dataset=dataset,
                sampler=dict(type="DefaultSampler", shuffle=False),
                collate_fn=dict(type="pseudo_collate"),
            )
        )
        return [([x.sum().item() for x in b["inputs"]], b["data_samples"]) for b in loader]

    expected = [([0.0, 48.0], ["a1", "b2"]), ([96.0, 144.0], ["c3", "d4"])]  # as MMEngine
    assert batches(str(local), {}) == expected
    assert batches(str(local), dict(file_client_args=dict(backend="disk"))) == expected
    assert batches("mem://bucket", {}) == expected
    mem_args = dict(backend="mem", bucket="b")
    assert batches("mem://bucket", dict(backend_args=mem_args), mem_args) == expected
    assert list_from_file("mem://bucket/ImageSets/train.txt", offset=1, max_num=2) == ids[1:3]
    assert get_file_backend("mem://x").join_path("mem://x", "y.png") == "mem://x/y.png"
    # the old transform's FileClient does not know "mem" (its own registry, as in MMEngine)
    with pytest.raises(ValueError, match="prefix mem is not supported") as info:
        FileClient.infer_client(None, "mem://bucket/JPEGImages/a1.raw")
    assert "MemBackend serves mem:// for get_file_backend and the fileio functions" in str(
        info.value
    )

    runner = Runner(
        model=dict(type="Net"),
        work_dir=str(libs["tmp"] / "work"),
        default_scope="portdet",
        train_dataloader=dict(
            batch_size=2,
            dataset=dict(
                type="VOCLike",
                data_root="mem://bucket",
                ann_file="ImageSets/train.txt",
                data_prefix=dict(img="JPEGImages"),
                pipeline=[dict(type="LoadImg")],
            ),
            sampler=dict(type="DefaultSampler", shuffle=False),
            collate_fn=dict(type="pseudo_collate"),
        ),
        train_cfg=dict(by_epoch=True, max_epochs=1),
        optim_wrapper=dict(optimizer=dict(type="SGD", lr=0.01)),
    )
    runner.train()
    assert runner.iter == 2 and type(runner.model).__module__ == "portdet.models"


def test_init_detector_and_runners_see_mmengines_scopes(libs: dict[str, Any]) -> None:
    """mmdet.apis.init_detector, a ``_scope_`` config, overwrite_default_scope in a test, and
    Runners of two libraries (same and different experiment names) in one process: the
    scope at each step is MMEngine 0.10.7's."""
    steps: list[Any] = [_current()]
    init_default_scope(Config(dict(model=dict(type="Net"))).get("default_scope", "portdet"))
    DET_MODELS = importlib.import_module("portdet.registry").MODELS

    def lib(model: Any) -> str:
        return type(model).__module__.split(".")[0]

    steps += [
        _current(),
        lib(DET_MODELS.build(dict(type="Net"))),
        lib(MODELS.build(dict(type="Net"))),
    ]
    steps.append(lib(MODELS.build(dict(type="portseg.Net"))))
    portseg_models = importlib.import_module("portseg.models")
    model = DET_MODELS.build(dict(type="Net", _scope_="portseg", sub=dict(type="SubPortseg")))
    steps += [lib(model), type(model.sub).__name__, portseg_models.SEEN[-1], _current()]
    with DefaultScope.overwrite_default_scope("portseg"):
        steps += [_current(), lib(MODELS.build(dict(type="Net")))]
        DefaultScope.get_instance("made-inside", scope_name="portdet")
    steps += [_current(), DefaultScope.check_instance_created("made-inside")]
    init_default_scope("portseg")
    steps.append(_current())
    init_default_scope("portdet")  # warns: "portseg" is current
    steps.append(_current())
    assert steps == [
        None, "portdet", "portdet", "portdet", "portseg", "portseg", "SubPortseg", "portseg",
        "portdet", "portseg", "portseg", "portdet", False, "portseg", "portdet",
    ]  # fmt: skip

    runs = []
    for scope, name in [("portdet", "exp"), ("portseg", "exp"), ("portdet", "other"), (None, "x")]:
        runner = Runner(
            model=dict(type="Net"),
            work_dir=str(libs["tmp"] / "runs" / name),
            default_scope=scope,
            experiment_name=name,
        )
        runs.append((lib(runner.model), runner.default_scope, _current()))
    assert runs == [
        ("portdet", "portdet", "portdet"),
        ("portseg", "portseg", "portseg"),
        ("portdet", "portdet", "portdet"),
        ("portdet", None, "portdet"),  # default_scope=None keeps the current one
    ]
    # tools/train.py: Runner.from_cfg with the config's default_scope
    cfg = Config(
        dict(model=dict(type="Net"), work_dir=str(libs["tmp"] / "cfg"), default_scope="portseg")
    )
    assert lib(Runner.from_cfg(cfg).model) == "portseg" and _current() == "portseg"
    # mmpretrain.get_model
    with DefaultScope.overwrite_default_scope("portdet"):
        assert lib(DET_MODELS.build(dict(type="Net"))) == "portdet"
    assert _current() == "portseg"


class _RoIAlign:
    @deprecated_api_warning({"out_size": "output_size", "sample_num": "sampling_ratio"}, "RoIAlign")
    def __init__(self, output_size: int, sampling_ratio: int = 0) -> None:
        self.output_size, self.sampling_ratio = output_size, sampling_ratio


def _convert(task: tuple[int, int]) -> int:
    return task[0] * task[1]


def test_mmcv_style_utilities(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.warns(DeprecationWarning) as record:
        roi = _RoIAlign(out_size=7, sample_num=2)  # type: ignore[call-arg]
    assert (roi.output_size, roi.sampling_ratio) == (7, 2)
    assert [str(w.message) for w in record] == [
        '"out_size" is deprecated in `RoIAlign.__init__`, please use "output_size" instead',
        '"sample_num" is deprecated in `RoIAlign.__init__`, please use "sampling_ratio" instead',
    ]
    tasks = [(i, i + 1) for i in range(6)]
    bar = io.StringIO()
    assert track_parallel_progress(_convert, tasks, nproc=2, file=bar) == [0, 2, 6, 12, 20, 30]
    assert "6/6" in bar.getvalue()
    assert [_convert(t) for t in track_iter_progress(tasks, file=io.StringIO())][-1] == 30

    @TimeCounter(log_interval=2, warmup_interval=1, tag="fn")
    def step(x: int) -> int:
        return x + 1

    assert [step(i) for i in range(3)] == [1, 2, 3]
    with TimeCounter(log_interval=1, warmup_interval=1, tag="ctx"):
        pass

    env = collect_env()  # tools/misc/print_env.py
    assert "runner-core" in env and "MMEngine" not in env
    assert list(env)[:3] == ["sys.platform", "Python", "CUDA available"]
    monkeypatch.chdir(tmp_path)  # a setup.py run outside a git repository
    assert get_git_hash(digits=7) == "unknown"  # MMEngine 0.10.7: '' (documented)

    class LocalVisualizer(ManagerMixin):  # a library's Visualizer-like class
        def __init__(self, name: str = "visualizer", save_dir: str | None = None, **kwargs: Any):
            super().__init__(name, **kwargs)
            self.save_dir = save_dir

    class DetLocalVisualizer(LocalVisualizer):
        def __init__(self, name: str = "visualizer", bbox_color: Any = None, **kwargs: Any):
            super().__init__(name=name, **kwargs)
            self.bbox_color = bbox_color

    made = DetLocalVisualizer.get_instance("det", save_dir="out", bbox_color="red")
    assert DetLocalVisualizer.get_current_instance() is made
    assert (made.instance_name, made.save_dir, made.bbox_color) == ("det", "out", "red")
    with pytest.raises(AssertionError, match="must have the `name` argument"):

        class NoName(ManagerMixin):  # refused when defined, as by MMEngine's ManagerMeta
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)


def test_registered_file_handler_and_round_trips(libs: dict[str, Any]) -> None:
    @register_handler("txt")
    class TxtHandler(BaseFileHandler):
        def load_from_fileobj(self, file: Any, **kwargs: Any) -> Any:
            return file.read()

        def dump_to_fileobj(self, obj: Any, file: Any, **kwargs: Any) -> None:
            file.write(str(obj))

        def dump_to_str(self, obj: Any, **kwargs: Any) -> str:
            return str(obj)

    obj = {"a": 1, "b": [1, 2.5, "x"], "c": (1, 2)}
    assert dump(obj, file=None, file_format="json") == '{"a": 1, "b": [1, 2.5, "x"], "c": [1, 2]}'
    assert dump(obj, file_format="txt") == str(obj)
    tmp = libs["tmp"]
    dump(obj, tmp / "o.txt")
    assert load(tmp / "o.txt") == str(obj)
    local = dict(backend="local")
    for ext, back in [("yaml", obj), ("pkl", obj), ("json", {**obj, "c": [1, 2]})]:
        path = str(tmp / f"o.{ext}")
        dump(obj, path, backend_args=local)
        assert load(path, backend_args=local) == back  # as MMEngine (tuples: yaml, pickle)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation for backend_args
        assert load(os.fspath(tmp / "o.yaml"), backend_args=None) == obj


def test_an_inferencers_load_weights_override_finds_load_checkpoint_to_model(
    tmp_path: Path,
) -> None:
    """mmdet's and mmseg's inferencers override ``_load_weights_to_model`` with
    ``from mmengine.runner.checkpoint import _load_checkpoint_to_model``; ported, the name
    comes from runner_core.checkpoint, with MMEngine's arguments and return value."""
    from runner_core.checkpoint import _load_checkpoint_to_model

    source = nn.Linear(2, 1)
    checkpoint = {"state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}}
    target = nn.Linear(2, 1)
    assert _load_checkpoint_to_model(target, checkpoint, strict=True) is checkpoint
    assert torch.equal(target.weight, source.weight)
