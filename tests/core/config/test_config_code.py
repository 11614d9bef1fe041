"""Code in Python configs: functions, classes, and imports that run after reading.

A pure-Python config records its imports instead of running them, but only
those that run while the file is read: an import in a function body runs when
the function is called (a real import then), and a class statement needs its
base classes for real. Functions the file defines stay config values there,
as in MMEngine's lazy_import mode; a dump names what it cannot write back.
"""

from __future__ import annotations

import copy
import importlib
import pickle
import sys
import warnings
from pathlib import Path

import pytest

from runner_core.config import Config, ConfigError
from runner_core.errors import ConfigImportError, ConfigModuleNotFoundError

HELPER = """
class Base:
    kind = "real base"

class Meta(type):
    pass

def full(n, value):
    return [value] * n

from typing import Generic, TypeVar
T = TypeVar("T")

class Box(Generic[T]):
    kind = "box"
"""


@pytest.fixture
def helper_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An installed, non-stdlib module (so the config imports it lazily): its name."""
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "cfg_code_helper.py").write_text(HELPER, encoding="utf-8")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.delitem(sys.modules, "cfg_code_helper", raising=False)
    monkeypatch.setattr("runner_core.config.lazy._RESOLVED", {})  # each test has its own module
    return "cfg_code_helper"


# -- imports inside functions are real imports, made when the function runs ---------------


def test_import_in_a_method_is_real_when_the_method_runs(write) -> None:
    # the QA case: `import torch` in a method of a config class, called at training time
    cfg = Config.fromfile(
        write(
            "c.py",
            """
            from torch.optim import SGD
            import math

            class Fill:
                def __call__(self, n):
                    import torch
                    from torch import full
                    import math as m
                    return torch.full((n,), m.pi), full((1,), 2.0)

            optimizer = dict(type=SGD, lr=0.1)
            """,
        )
    )
    first, second = cfg.Fill()(3)
    assert first.tolist() == pytest.approx([3.14159265] * 3)
    assert second.tolist() == [2.0]
    assert cfg.to_dict()["optimizer"] == {"type": "torch.optim.SGD", "lr": 0.1}


def test_import_in_a_nested_function_is_real(write, helper_module) -> None:
    cfg = Config.fromfile(
        write(
            "c.py",
            f"""
            from {helper_module} import Base

            def outer():
                def inner(n):
                    from {helper_module} import full
                    return full(n, 1)
                return inner

            async def coro():
                import {helper_module}
                return {helper_module}.full(1, 0)

            x = dict(type=Base)
            """,
        )
    )
    assert cfg.outer()(2) == [1, 1]
    import asyncio

    assert asyncio.run(cfg.coro()) == [0]


def test_import_in_a_class_body_stays_lazy(write) -> None:
    # a class body runs while the config is read: its imports are recorded, not run
    cfg = Config.fromfile(
        write(
            "c.py",
            """
            class Holder:
                from surely_not_installed_pkg import Thing
                value = 1

            x = dict(type=Holder)
            """,
        )
    )
    assert cfg.Holder.value == 1


# -- top-level imports, used by the config's functions after reading ---------------------


def test_a_function_uses_the_top_level_imports_for_real_when_it_runs(write, helper_module) -> None:
    # the QA case: `import numpy as np` at the top, `collate_fn=helper` calling np.asarray
    cfg = Config.fromfile(
        write(
            "c.py",
            f"""
            import {helper_module} as h
            from {helper_module} import full, Base, Box

            def helper(n):
                return h.full(n, 1)

            def direct(n, fill=full):
                return full(n, 2) + fill(1, 3)

            def checks(x):
                return isinstance(x, Base), issubclass(h.Box, Box), h.Box.kind, h.Box[int]

            class Transform:
                def __call__(self, n):
                    return full(n, "t")

            def handed_on():
                return Box  # used by nothing before it is handed on

            train_dataloader = dict(collate_fn=helper, dataset=dict(type=Base))
            """,
        )
    )
    assert helper_module not in sys.modules  # reading imports nothing
    assert cfg.train_dataloader.collate_fn(2) == [1, 1]
    # once its module is imported, a name is real even where nothing touches it first
    assert cfg.handed_on() is importlib.import_module(helper_module).Box
    assert cfg.direct(1) == [2, 3]
    helper = importlib.import_module(helper_module)
    assert cfg.checks(helper.Base()) == (True, True, "box", helper.Box[int])
    assert cfg.Transform()(1) == ["t"]
    # the function's global names now hold the real objects (plain lookups from now on)
    assert cfg.helper.__globals__["h"] is helper and cfg.helper.__globals__["full"] is helper.full
    # the config's values are unchanged: dotted paths, dumped as such
    assert cfg.to_dict()["train_dataloader"]["dataset"] == {"type": "cfg_code_helper.Base"}


def test_names_from_modules_imported_before_reading_are_real_in_functions(
    write, helper_module
) -> None:
    helper = importlib.import_module(helper_module)
    cfg = Config.fromfile(
        write("c.py", f"from {helper_module} import Box\ndef handed_on():\n    return Box\n")
    )
    assert cfg.handed_on() is helper.Box


def test_import_of_a_submodule_without_alias_is_real_in_functions(
    write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `import pkg.sub` binds `pkg` and imports pkg.sub, as Python does
    package = tmp_path / "site2" / "cfg_code_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "sub.py").write_text("VALUE = 3\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(package.parent))
    for name in ("cfg_code_pkg.sub", "cfg_code_pkg"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    source = "import cfg_code_pkg.sub\ndef value():\n    return cfg_code_pkg.sub.VALUE\n"
    assert Config.fromfile(write("c.py", source)).value() == 3


def test_a_class_statement_in_a_function_gets_the_real_lazy_base(write, helper_module) -> None:
    cfg = Config.fromfile(
        write(
            "c.py",
            f"""
            from {helper_module} import Base

            def make():
                class Local(Base):
                    pass
                return Local
            """,
        )
    )
    assert cfg.make().kind == "real base"


def test_a_function_calling_an_import_while_the_config_is_read_is_refused(
    write, helper_module
) -> None:
    path = write(
        "c.py",
        f"""
        from {helper_module} import full

        def helper(n):
            return full(n, 1)

        x = helper(2)
        """,
    )
    with pytest.raises(ConfigError, match=r"cannot be called while the config is read") as info:
        Config.fromfile(path)
    assert f"{path}, line 1: 'cfg_code_helper.full'" in str(info.value)
    assert helper_module not in sys.modules


def test_a_function_using_a_package_that_is_not_installed_names_the_import(write) -> None:
    path = write(
        "c.py",
        """
        import not_installed_pkg as nip

        def helper(x):
            return nip.asarray(x)
        """,
    )
    cfg = Config.fromfile(path)  # reading needs no package
    with pytest.raises(ConfigModuleNotFoundError, match=rf"{path}, line 1: the config imports"):
        cfg.helper(1)


def test_a_generic_base_class_from_a_lazy_import(write, helper_module) -> None:
    # `class D(Dataset[int])`: the real Dataset is subscripted, not the placeholder
    cfg = Config.fromfile(
        write(
            "c.py",
            f"""
            import {helper_module} as h
            from {helper_module} import Box

            class D(Box[int]):
                pass

            class E(h.Box[str]):
                pass

            dataset = dict(type=D)
            """,
        )
    )
    helper = importlib.import_module(helper_module)
    assert issubclass(cfg.D, helper.Box) and cfg.D.kind == "box"
    assert issubclass(cfg.E, helper.Box)


# -- what a config keeps: functions, lambdas, classes --------------------------------------


def test_pure_python_config_keeps_its_functions_and_lambdas(write) -> None:
    cfg = Config.fromfile(
        write(
            "c.py",
            """
            from some_uninstalled_pkg import Model
            import os
            from os.path import join
            from math import sqrt

            def double(x):
                return x * 2

            square = lambda x: x * x

            class Local:
                pass

            model = dict(type=Model, scale=sqrt(double(2)), fn=double)
            """,
        )
    )
    assert cfg.double(3) == 6 and cfg.square(3) == 9 and cfg.Local.__name__ == "Local"
    assert cfg.model.fn is cfg.double
    # imported names (modules, functions, classes) are not config keys
    assert list(cfg.keys()) == ["double", "square", "Local", "model"]


def test_functions_of_a_base_config_are_kept_in_the_child(write) -> None:
    write("base.py", "from pkg_x import A\ndef helper(x):\n    return x + 1\na = dict(type=A)\n")
    child = write(
        "child.py",
        """
        from mmengine.config import read_base
        with read_base():
            from .base import *
        b = helper(1)
        """,
    )
    cfg = Config.fromfile(child)
    assert cfg.b == 2 and cfg.helper(5) == 6


def test_classic_config_drops_functions_and_says_why(write) -> None:
    write("base.py", "lr = 0.1\n")
    cfg = Config.fromfile(
        write(
            "c.py",
            """
            _base_ = ["base.py"]
            import math

            def double(x):
                return x * 2

            value = double(2)
            """,
        )
    )
    # as MMEngine's classic configs: functions and modules are dropped (classes are kept)
    assert list(cfg.keys()) == ["lr", "value"] and cfg.value == 4
    with pytest.raises(AttributeError, match=r"'double' is not a key .*function the file defines"):
        cfg.double  # noqa: B018
    with pytest.raises(
        AttributeError, match=r"'math' is not a key .*module the file imports"
    ) as info:
        cfg.math  # noqa: B018
    # a module has no `type=` use and is not kept in the pure-Python style either
    assert "Import math in the code that needs it" in str(info.value)
    assert "type=" not in str(info.value) and "keeps functions" not in str(info.value)
    with pytest.raises(AttributeError, match="has no attribute 'valeu'. Did you mean"):
        cfg.valeu  # noqa: B018
    # the hint survives copies and pickling
    for other in (copy.copy(cfg), copy.deepcopy(cfg), pickle.loads(pickle.dumps(cfg))):
        with pytest.raises(AttributeError, match="function the file defines"):
            other.double  # noqa: B018


# -- a class in the config deriving from a lazily imported class ---------------------------


def test_class_deriving_from_a_lazy_import_gets_the_real_base(write, helper_module) -> None:
    cfg = Config.fromfile(
        write(
            "c.py",
            f"""
            from {helper_module} import Base, Meta
            from typing import Generic, TypeVar
            T = TypeVar("T")

            class MyDS(Base, Generic[T], metaclass=Meta):
                def __init__(self, n=3):
                    self.n = n

            dataset = dict(type=MyDS, n=4)
            """,
        )
    )
    helper = importlib.import_module(helper_module)
    my_ds = cfg.dataset.type
    assert my_ds is cfg.MyDS and my_ds.kind == "real base"
    assert issubclass(my_ds, helper.Base) and type(my_ds) is helper.Meta
    assert cfg.to_dict(keep_imported=True)["Base"] == "cfg_code_helper.Base"


def test_subclassing_torch_dataset_in_a_config(write) -> None:
    cfg = Config.fromfile(
        write(
            "c.py",
            """
            from torch.utils.data import Dataset

            class MyDS(Dataset):
                def __len__(self):
                    return 2
                def __getitem__(self, i):
                    import torch
                    return torch.full((2,), float(i))

            train_dataloader = dict(dataset=dict(type=MyDS), batch_size=2)
            """,
        )
    )
    import torch.utils.data

    from runner_core.registry import DATASETS

    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert isinstance(dataset, torch.utils.data.Dataset) and dataset[1].tolist() == [1.0, 1.0]


def test_base_class_that_cannot_be_imported_names_file_line_and_class(write) -> None:
    path = write(
        "c.py", "from not_installed_pkg.data import Dataset\n\nclass MyDS(Dataset):\n    pass\n"
    )
    with pytest.raises(ConfigModuleNotFoundError) as info:
        Config.fromfile(path)
    message = str(info.value)
    assert f"{path}, line 3: class MyDS derives from 'not_installed_pkg.data.Dataset'" in message
    assert f"(imported at {path}, line 1)" in message
    assert "No module named 'not_installed_pkg'" in message and "Install the package" in message
    assert "LazyObject" not in message


def test_misspelled_base_class_suggests_the_name(write, helper_module) -> None:
    path = write("c.py", f"from {helper_module} import Bsae\nclass MyDS(Bsae):\n    pass\n")
    with pytest.raises(ConfigImportError, match=r"line 2: class MyDS .*Did you mean 'Base'"):
        Config.fromfile(path)


# -- dumping what cannot be written back ---------------------------------------------------


def test_dump_of_a_config_class_warns_and_says_so_in_the_file(write, tmp_path) -> None:
    cfg = Config.fromfile(
        write(
            "c.py",
            """
            class MyDS:
                pass

            train_dataloader = dict(dataset=dict(type=MyDS, n=4), batch_size=2)
            """,
        )
    )
    out = tmp_path / "out" / "config.py"
    with pytest.warns(UserWarning, match=r"MyDS, train_dataloader.dataset.type hold classes"):
        cfg.dump(out)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# NOTE: this dump does not load back to a working config.")
    assert "#   train_dataloader.dataset.type = '__config__.MyDS'" in text
    assert text == cfg.pretty_text
    # the file still loads (MMEngine's yapf fails on `<class 'MyDS'>`)
    assert Config.fromfile(out).to_dict() == {
        "MyDS": "__config__.MyDS",
        "train_dataloader": {"dataset": {"type": "__config__.MyDS", "n": 4}, "batch_size": 2},
    }
    with pytest.warns(UserWarning, match="lambdas"):
        Config({"f": lambda x: x}).dump(tmp_path / "out" / "c.json")


def test_importable_classes_dump_without_a_note(write, tmp_path) -> None:
    cfg = Config.fromfile(
        write("c.py", "from collections import OrderedDict\nx = dict(type=OrderedDict)\n")
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg.dump(tmp_path / "c.py")
    assert not (tmp_path / "c.py").read_text(encoding="utf-8").startswith("#")


def test_a_builtin_function_is_written_where_it_imports_from(tmp_path) -> None:
    """torch.relu's __qualname__ is _VariableFunctionsClass.relu, which torch lacks."""
    import torch

    from runner_core.registry.registry import import_dotted

    cfg = Config(dict(act=torch.relu, pool=torch.nn.functional.gelu))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cfg.dump(tmp_path / "c.py")
    loaded = Config.fromfile(tmp_path / "c.py")
    assert loaded.act == "torch.relu"
    assert import_dotted(loaded.act) is torch.relu
    assert import_dotted(loaded.pool) is torch.nn.functional.gelu


def test_a_function_whose_path_imports_nothing_is_in_the_note(tmp_path) -> None:
    def helper() -> None:
        pass

    helper.__module__, helper.__qualname__ = "os", "no_such_helper"
    with pytest.warns(UserWarning, match="hold classes or functions"):
        Config(dict(fn=helper)).dump(tmp_path / "c.py")
    assert "#   fn = 'os.no_such_helper'" in (tmp_path / "c.py").read_text(encoding="utf-8")


def test_lazy_import_false_on_a_pure_python_config_says_how_to_load_it(write) -> None:
    write("base.py", "lr = 0.1\n")
    path = write(
        "c.py",
        "from mmengine.config import read_base\nwith read_base():\n    from .base import *\n",
    )
    with pytest.raises(ConfigError) as info:
        Config.fromfile(path, lazy_import=False)
    assert any("lazy_import=None" in note for note in getattr(info.value, "__notes__", []))
    assert Config.fromfile(path).lr == 0.1


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("x = 1\nassert x == 2, 'x must be 2'\n", AssertionError),
        ("values = [1]\ny = values[3]\n", IndexError),
        ("y = 1 / 0\n", ZeroDivisionError),
        ("raise PermissionError('denied')\n", PermissionError),
    ],
)
def test_an_error_of_the_configs_own_code_keeps_its_type(write, code: str, kind: type) -> None:
    # MMEngine lets these through: `except IndexError:` written for it must still catch them
    path = write("cfg.py", code)
    with pytest.raises(kind) as info:
        Config.fromfile(path)
    assert isinstance(info.value, ConfigError)
    assert f"{path}:" in str(info.value)
    again = pickle.loads(pickle.dumps(info.value))  # across processes (spawned workers)
    assert type(again) is type(info.value) and str(again) == str(info.value)


def test_an_error_type_that_cannot_carry_the_message_is_a_plain_config_error(write) -> None:
    path = write("cfg.py", "b'\\xff'.decode('utf-8')\n")
    with pytest.raises(ConfigError, match=r"UnicodeDecodeError") as info:
        Config.fromfile(path)
    assert type(info.value) is ConfigError
