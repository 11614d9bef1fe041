"""Config files, ``_base_`` references and dumps under the folder names users really have."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner_core.config import Config
from runner_core.config.loader import _package_candidates
from runner_core.errors import ConfigError

ODD = "实验 1/café $HOME #h [a] a=b,c"  # spaces, non-ASCII, shell characters; no quotes


def test_bases_and_file_variables_work_in_folders_with_spaces_unicode_and_shell_characters(
    tmp_path: Path,
) -> None:
    base = tmp_path / ODD / "bases" / "base 1.v2.py"
    base.parent.mkdir(parents=True)
    base.write_text(
        "where = '{{ fileDirname }}'\nname = '{{ fileBasename }}'\n"
        "stem = '{{fileBasenameNoExtension}}'\next = '{{ fileExtname }}'\n",
        encoding="utf-8",
    )
    main = tmp_path / ODD / "exp" / "my cfg.v2 $x.py"
    main.parent.mkdir()
    main.write_text(
        "_base_ = ['../bases/base 1.v2.py']\nwork_dir = 'runs/{{ fileBasenameNoExtension }}'\n",
        encoding="utf-8",
    )
    cfg = Config.fromfile(main)
    assert cfg.where == str(base.parent)
    assert (cfg.name, cfg.stem, cfg.ext) == ("base 1.v2.py", "base 1.v2", ".py")
    assert cfg.work_dir == "runs/my cfg.v2 $x"


def test_a_quote_in_the_folder_name_explains_the_syntax_error_it_causes(tmp_path: Path) -> None:
    folder = tmp_path / "it's"
    folder.mkdir()
    (folder / "cfg.py").write_text("data_root = '{{ fileDirname }}/data'\n", encoding="utf-8")
    with pytest.raises(SyntaxError) as info:  # MMEngine: a SyntaxError naming a temp file
        Config.fromfile(folder / "cfg.py")
    message = str(info.value)
    assert "{{ fileDirname }}" in message and repr(str(folder)) in message
    assert "os.path.dirname(__file__)" in message


def test_a_quote_in_the_file_name_explains_the_json_error(tmp_path: Path) -> None:
    folder = tmp_path / 'q"d'
    folder.mkdir()
    (folder / "cfg.json").write_text('{"root": "{{ fileDirname }}"}', encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid JSON") as info:
        Config.fromfile(folder / "cfg.json")
    assert "{{ fileDirname }}" in str(info.value) and "quote" in str(info.value)


def test_a_folder_named_with_double_colons_is_a_path_not_a_package(tmp_path: Path) -> None:
    (tmp_path / "exp::v2").mkdir()
    (tmp_path / "exp::v2" / "base.py").write_text("a = 1\n", encoding="utf-8")
    (tmp_path / "main.py").write_text("_base_ = './exp::v2/base.py'\nb = 2\n", encoding="utf-8")
    assert Config.fromfile(tmp_path / "main.py").to_dict() == {"a": 1, "b": 2}


@pytest.mark.parametrize("ext", [".py", ".json", ".yaml"])
def test_a_path_object_in_a_config_dumps_as_its_path(tmp_path: Path, ext: str) -> None:
    cfg = Config({"work_dir": tmp_path / "wd é", "data": {"roots": [Path("a b")]}})
    out = tmp_path / f"dump{ext}"
    cfg.dump(out)  # MMEngine: a SyntaxError; a repr would load as "PosixPath('...')"
    again = Config.fromfile(out)
    assert again.work_dir == str(tmp_path / "wd é")
    assert again.data.roots == ["a b"]


def test_a_folder_given_as_the_config_says_it_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "实验 1").mkdir()
    with pytest.raises(FileNotFoundError, match="is a folder, not a config file"):
        Config.fromfile(tmp_path / "实验 1")  # MMEngine: FileNotFoundError, "does not exist"


def test_a_missing_package_base_names_the_packages_configs_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only the .mim path, nor "relative to the file that names it" (it is not)."""
    package = tmp_path / "qa_cfgpkg_missing"
    (package / "configs" / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "configs" / "sub" / "base.py").write_text("a = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    child = tmp_path / "child.py"
    child.write_text("_base_ = ['qa_cfgpkg_missing::sub/base.py']\nb = 2\n", encoding="utf-8")
    assert Config.fromfile(child).a == 1
    child.write_text("_base_ = ['qa_cfgpkg_missing::sub/nope.py']\n", encoding="utf-8")
    with pytest.raises(FileNotFoundError) as info:
        Config.fromfile(child)
    message = str(info.value)
    assert f"looked for {package / 'configs' / 'sub' / 'nope.py'})" in message
    assert f"configs folder (found: {package / 'configs'}); check that sub/nope.py" in message
    assert "relative to the file" not in message
    assert f"All places searched: {package / '.mim' / 'configs' / 'sub' / 'nope.py'}, " in message
    assert f", {tmp_path / 'configs' / 'sub' / 'nope.py'}." in message


def test_a_src_layout_checkout_finds_the_configs_in_its_project_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An editable src-layout project: project/src/pkg, configs in project/configs."""
    project = tmp_path / "qa-srclayout"
    package = project / "src" / "qa_srclayout_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (project / "pyproject.toml").write_text("[project]\nname = 'qa-srclayout'\n", encoding="utf-8")
    (project / "configs").mkdir()
    (project / "configs" / "base.py").write_text("a = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(project / "src"))
    assert _package_candidates(str(package), "base.py") == [
        str(package / ".mim" / "configs" / "base.py"),
        str(package / "configs" / "base.py"),
        str(project / "src" / "configs" / "base.py"),  # beside the package: found before
        str(project / "configs" / "base.py"),
    ]
    child = tmp_path / "child.py"
    child.write_text("_base_ = 'qa_srclayout_pkg::base.py'\nb = 2\n", encoding="utf-8")
    assert Config.fromfile(child).a == 1
    (project / "src" / "configs").mkdir()  # a layout that kept them in src/ still works
    (project / "src" / "configs" / "base.py").write_text("a = 3\n", encoding="utf-8")
    assert Config.fromfile(child).a == 3


def test_a_flat_checkout_keeps_the_configs_beside_the_package(tmp_path: Path) -> None:
    """Without src/ (or a src/ that is no project's), the folder beside the package."""
    package = tmp_path / "src" / "pkg"
    package.mkdir(parents=True)
    assert _package_candidates(str(package), "x.py")[2] == str(
        tmp_path / "src" / "configs" / "x.py"
    )
