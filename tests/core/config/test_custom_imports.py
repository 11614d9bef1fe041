from __future__ import annotations

import sys
from pathlib import Path

import pytest

from runner_core.config import Config, ConfigError, import_custom_modules


def test_custom_imports_are_imported_by_fromfile(write, tmp_path: Path, monkeypatch) -> None:
    write("plugins/my_plugin_mod_xyz.py", "LOADED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))
    monkeypatch.delitem(sys.modules, "my_plugin_mod_xyz", raising=False)
    Config.fromfile(write("c.py", "custom_imports = dict(imports=['my_plugin_mod_xyz'])\n"))
    assert sys.modules["my_plugin_mod_xyz"].LOADED is True


def test_failed_custom_import_names_module_and_file(write) -> None:
    path = write("c.py", "custom_imports = dict(imports=['no_such_module_abc'])\n")
    with pytest.raises(ImportError, match=rf"{path}.*no_such_module_abc"):
        Config.fromfile(path)
    with pytest.raises(ConfigError):
        Config.fromfile(path)
    cfg = Config.fromfile(path, import_custom_modules=False)
    with pytest.raises(ImportError, match="no_such_module_abc"):
        import_custom_modules(cfg)


def test_allow_failed_imports_warns(write) -> None:
    path = write(
        "c.py",
        "custom_imports = dict(imports='no_such_module_abc', allow_failed_imports=True)\n",
    )
    with pytest.warns(UserWarning, match="no_such_module_abc"):
        Config.fromfile(path)
    assert import_custom_modules({}) == []
