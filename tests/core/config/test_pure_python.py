from __future__ import annotations

import pytest

from runner_core.config import Config, ConfigError, ImportedName, read_base


def test_read_base_inheritance_and_lazy_imports(write) -> None:
    write(
        "_base_/model.py",
        """
        from some_uninstalled_pkg.models import ResNet, Classifier
        model = dict(type=Classifier, backbone=dict(type=ResNet, depth=50))
        """,
    )
    write("_base_/runtime.py", "default_scope = None\nlog_level = 'INFO'\n")
    child = write(
        "exp/child.py",
        """
        from mmengine.config import read_base

        with read_base():
            from .._base_.model import *
            from .._base_.runtime import log_level as level

        from torch.optim import SGD
        import torch

        model.backbone.depth = 101
        model.update(dict(head=dict(num_classes=10)))
        optimizer = dict(type=SGD, lr=0.1)
        act = dict(type=torch.nn.ReLU)
        log = level
        """,
    )
    cfg = Config.fromfile(child)
    assert cfg.to_dict() == {
        "model": {
            "type": "some_uninstalled_pkg.models.Classifier",
            "backbone": {"type": "some_uninstalled_pkg.models.ResNet", "depth": 101},
            "head": {"num_classes": 10},
        },
        "optimizer": {"type": "torch.optim.SGD", "lr": 0.1},
        "act": {"type": "torch.nn.ReLU"},
        "log": "INFO",
        "level": "INFO",  # names taken from a base stay config keys, as in MMEngine
    }
    # imported names are not config keys; the values are stored as dotted strings
    # and read as the imported object, as in MMEngine
    assert "ResNet" not in cfg and "read_base" not in cfg and "SGD" not in cfg
    assert isinstance(dict.__getitem__(cfg.optimizer, "type"), ImportedName)
    assert dict.__getitem__(cfg.optimizer, "type") == "torch.optim.SGD"
    import torch

    assert cfg.optimizer.type is torch.optim.SGD


def test_imported_name_resolves_to_the_object(write) -> None:
    cfg = Config.fromfile(
        write("c.py", "from collections import OrderedDict as OD\nx = dict(t=OD)\n")
    )
    # stdlib imports are real imports (as in MMEngine); the name itself is not kept
    assert cfg.x.t.__name__ == "OrderedDict"
    assert ImportedName("collections.OrderedDict").resolve().__name__ == "OrderedDict"
    with pytest.raises(ImportError):
        ImportedName("surely_not_installed_pkg.X").resolve()


def test_runner_core_read_base_import_works(write) -> None:
    write("base.py", "from x_pkg import A\na = dict(type=A)\n")
    child = write(
        "child.py",
        """
        from runner_core.config import read_base
        with read_base():
            from .base import *
        a.n = 1
        """,
    )
    assert Config.fromfile(child).to_dict() == {"a": {"type": "x_pkg.A", "n": 1}}


def test_read_base_under_another_name_reads_the_bases(write) -> None:
    write("base.py", "a = 1\n")
    child = write(
        "child.py",
        """
        from mmengine.config import read_base as rb
        with rb():
            from .base import *
        b = a + 1
        """,
    )
    assert Config.fromfile(child).to_dict() == {"a": 1, "b": 2}


def test_a_second_read_base_block_is_named_with_the_first(write) -> None:
    write("b1.py", "a = 1\n")
    write("b2.py", "b = 2\n")
    child = write(
        "child.py",
        """
        from mmengine.config import read_base
        with read_base():
            from .b1 import *
        x = 1
        with read_base():
            from .b2 import *
        """,
    )
    with pytest.raises(ConfigError, match=r"child.py:5: a second .* first is at line 2"):
        Config.fromfile(child)


def test_relative_import_of_a_helper_names_file_and_line(write) -> None:
    """importlib's bare TypeError named neither the config nor what to do."""
    write("helpers.py", "class Helper:\n    pass\n")
    write("base.py", "x = 1\n")
    path = write(
        "cfg.py",
        "from mmengine.config import read_base\nwith read_base():\n    from .base import *\n"
        "from .helpers import Helper\nmodel = dict(type=Helper)\n",
    )
    cfg = Config.fromfile(path)
    with pytest.raises(TypeError, match=r"cfg\.py, line 4: .*relative import") as info:
        _ = cfg.model.type
    assert isinstance(info.value, ConfigError)
    assert "absolute module name" in str(info.value)


def test_read_base_is_a_noop_context_manager() -> None:
    with read_base():
        pass


def test_base_module_not_found_names_file(write) -> None:
    child = write(
        "child.py",
        """
        from mmengine.config import read_base
        with read_base():
            from .missing_base import *
        """,
    )
    with pytest.raises(ConfigError, match="missing_base.*not found"):
        Config.fromfile(child)


def test_pure_python_cycle_is_detected(write) -> None:
    write(
        "a.py", "from mmengine.config import read_base\nwith read_base():\n    from .b import *\n"
    )
    b = write(
        "b.py", "from mmengine.config import read_base\nwith read_base():\n    from .a import *\n"
    )
    with pytest.raises(ConfigError, match="cycle"):
        Config.fromfile(b)


def test_star_import_from_package_is_refused(write) -> None:
    with pytest.raises(ConfigError, match=r"import \*"):
        Config.fromfile(write("c.py", "from some_pkg import *\n"))


def test_calling_a_lazy_import_is_a_clear_error(write) -> None:
    with pytest.raises(ConfigError, match="cannot be called"):
        Config.fromfile(write("c.py", "from some_pkg import Thing\nx = Thing()\n"))


def test_merge_method_with_delete(write) -> None:
    write("base.py", "from p import H\nmodel = dict(head=dict(type=H, loss='ce', k=1))\n")
    child = write(
        "child.py",
        """
        from mmengine.config import read_base
        with read_base():
            from .base import *
        model.merge(dict(head=dict(_delete_=True, type='New')))
        """,
    )
    assert Config.fromfile(child).to_dict() == {"model": {"head": {"type": "New"}}}


@pytest.mark.parametrize("package", ["mmengine", "runner_core"])
def test_a_classic_config_may_load_another_with_config(write, package: str) -> None:
    """MMEngine's test_code_in_config: `from mmengine import Config` keeps a config classic."""
    write("simple.py", "item1 = [1, 2]\nitem2 = dict(a=0)\n")
    path = write(
        "code.py",
        f"""
        import os.path as osp
        from {package} import Config

        cfg = Config.fromfile(osp.join(osp.dirname(__file__), 'simple.py'))
        item5 = cfg.item1[0] + cfg.item2.a
        """,
    )
    assert Config.fromfile(path).item5 == 1


def test_a_classic_config_with_a_pure_python_base_is_refused(write) -> None:
    write("pure_base.py", "from torch.optim import SGD\n\noptimizer = dict(type=SGD, lr=0.1)\n")
    path = write("child.py", "_base_ = './pure_base.py'\nepochs = 2\n")
    with pytest.raises(ConfigError, match="is a pure-Python config") as err:
        Config.fromfile(path)
    assert isinstance(err.value, RuntimeError)  # MMEngine's RuntimeError
    assert Config.fromfile(path, lazy_import=False).epochs == 2  # MMEngine's way out too


def test_a_classic_base_of_a_read_base_config_says_only_read_base_bases_work(write) -> None:
    write("b1.py", "x = 1\n")
    write(
        "base.py",
        "from mmengine.config import read_base\nwith read_base():\n    from .b1 import *\n",
    )
    path = write("child.py", "_base_ = './base.py'\n")
    with pytest.raises(ConfigError) as info:
        Config.fromfile(path)
    # lazy_import=False would fail at the base's relative import: not offered
    assert "with read_base(): from .base import *`." in str(info.value)
    assert "lazy_import=False" not in str(info.value)


def test_lazy_import_true_on_a_classic_config_blames_the_argument(write) -> None:
    write("base.py", "a = 1\n")
    path = write("child.py", "_base_ = './base.py'\nb = 2\n")
    with pytest.raises(ConfigError, match=r"child\.py:1: this is a classic config") as info:
        Config.fromfile(path, lazy_import=True)
    assert "lazy_import=True asks" in str(info.value)
    assert "mixes" not in str(info.value)


def test_a_pure_config_reading_a_classic_base_names_the_parent(write) -> None:
    write("b1.py", "x = 1\n")
    write("mid.py", "_base_ = './b1.py'\nmore = 1\n")
    path = write(
        "top.py",
        "from mmengine.config import read_base\nwith read_base():\n    from .mid import *\n",
    )
    with pytest.raises(ConfigError) as info:
        Config.fromfile(path)
    message = str(info.value)
    assert message.startswith(f"{path}: reads {path.parent / 'mid.py'} as a base")
    assert "mid.py to `with read_base()" in message and "mixes" not in message


@pytest.mark.parametrize("base_first", [True, False])
@pytest.mark.parametrize("lazy_import", [None, True, False])
def test_base_list_and_read_base_in_one_file_are_named_as_mixed_styles(
    write, base_first: bool, lazy_import: bool | None
) -> None:
    """With ``_base_`` first the file reads as classic, whose ``read_base`` block failed
    only at its relative import ("no known parent package")."""
    write("b.py", "a = 1\n")
    lines = ["_base_ = ['./b.py']", "with read_base():\n    from .b import *"]
    body = "\n".join(lines if base_first else lines[::-1])
    path = write("child.py", f"from mmengine.config import read_base\n{body}\n")
    with pytest.raises(ConfigError, match="mixes the two inheritance styles"):
        Config.fromfile(path, lazy_import=lazy_import)
