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


def test_a_misspelt_custom_import_offers_the_close_module(
    write, tmp_path: Path, monkeypatch
) -> None:
    """'qa_toy_mod' when qa_toys_mod is importable: the close name is offered, and sys.path is
    shown in short (it was all of it, hundreds of characters on one line). A module that
    is found but imports a missing one gets no hint: its own error names that one."""
    write("plugins/qa_toys_mod.py", "LOADED = True\n")
    write("plugins/qa_broken_mod.py", "import qa_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path / "plugins"))
    for _ in range(5):  # a long path: only its start is shown
        monkeypatch.syspath_prepend(str(tmp_path / "elsewhere"))
    path = write("c.py", "custom_imports = dict(imports=['qa_toy_mod'])\n")
    with pytest.raises(ImportError) as info:
        Config.fromfile(path)
    message = str(info.value)
    assert "(No module named 'qa_toy_mod'). Did you mean 'qa_toys_mod'? Install" in message
    assert f"sys.path starts with {sys.path[:3]} and {len(sys.path) - 3} more." in message
    broken = write("d.py", "custom_imports = dict(imports=['qa_broken_mod'])\n")
    with pytest.raises(ImportError, match="qa_no_such_dependency") as info:
        Config.fromfile(broken)
    assert "Did you mean" not in str(info.value)


def test_allow_failed_imports_warns(write) -> None:
    path = write(
        "c.py",
        "custom_imports = dict(imports='no_such_module_abc', allow_failed_imports=True)\n",
    )
    with pytest.warns(UserWarning, match="no_such_module_abc"):
        Config.fromfile(path)
    assert import_custom_modules({}) == []
