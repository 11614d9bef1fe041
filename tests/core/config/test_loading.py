from __future__ import annotations

import os
from pathlib import Path

import pytest

from runner_core.config import Config, ConfigError


def test_python_json_yaml_load_to_same_dict(write) -> None:
    py = write("c.py", "model = dict(type='M', depth=50)\nlr = 0.1\n")
    js = write("c.json", '{"model": {"type": "M", "depth": 50}, "lr": 0.1}')
    ym = write("c.yaml", "model: {type: M, depth: 50}\nlr: 0.1\n")
    yml = write("d.yml", "model: {type: M, depth: 50}\nlr: 0.1\n")
    expected = {"model": {"type": "M", "depth": 50}, "lr": 0.1}
    for path in (py, js, ym, yml):
        cfg = Config.fromfile(path)
        assert cfg.to_dict() == expected
        assert cfg.filename == str(path)


def test_base_list_relative_paths_and_recursive_merge(write) -> None:
    write("_base_/model.py", "model = dict(type='M', backbone=dict(depth=50, style='a'))\n")
    write("_base_/sched.yaml", "optim: {lr: 0.1, momentum: 0.9}\n")
    path = write(
        "exp/child.py",
        """
        _base_ = ['../_base_/model.py', '../_base_/sched.yaml']
        model = dict(backbone=dict(depth=101))
        optim = dict(lr=0.01)
        """,
    )
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.to_dict() == {"depth": 101, "style": "a"}
    assert cfg.optim.to_dict() == {"lr": 0.01, "momentum": 0.9}
    assert "_base_" not in cfg


def test_base_as_string_and_chain_of_bases(write) -> None:
    write("a.json", '{"x": 1, "y": {"k": 1}}')
    write("b.yaml", "_base_: a.json\ny: {j: 2}\n")
    cfg = Config.fromfile(write("c.py", "_base_ = 'b.yaml'\nz = 3\n"))
    assert cfg.to_dict() == {"x": 1, "y": {"k": 1, "j": 2}, "z": 3}


def test_delete_replaces_base_dict(write) -> None:
    write("base.py", "optimizer = dict(type='SGD', lr=0.1, momentum=0.9)\n")
    child = write(
        "child.py",
        "_base_ = 'base.py'\noptimizer = dict(_delete_=True, type='AdamW', lr=1e-3)\n",
    )
    assert Config.fromfile(child).optimizer.to_dict() == {"type": "AdamW", "lr": 1e-3}


def test_delete_is_kept_when_base_has_no_such_key(write) -> None:
    # MMEngine only strips _delete_ when it actually replaces something.
    write("base.py", "a = 1\n")
    child = write("child.py", "_base_ = 'base.py'\nb = dict(_delete_=True, x=1)\n")
    assert Config.fromfile(child).b.to_dict() == {"_delete_": True, "x": 1}


def test_dict_over_non_dict_base_value_needs_delete(write) -> None:
    write("base.py", "a = 1\n")
    child = write("child.py", "_base_ = 'base.py'\na = dict(x=1)\n")
    with pytest.raises(ConfigError, match="_delete_=True"):
        Config.fromfile(child)


def test_base_references_textual_and_variable(write) -> None:
    write("base.py", "item = dict(a=[1, 2], b='s')\nnum = 4\n")
    child = write(
        "child.py",
        """
        _base_ = './base.py'
        copied = {{_base_.item}}
        nested = dict(n={{ _base_.num }}, via_var=_base_.item.b)
        lst = [_base_.num, {{_base_.item.a}}]
        """,
    )
    cfg = Config.fromfile(child)
    assert cfg.copied.to_dict() == {"a": [1, 2], "b": "s"}
    assert cfg.nested.to_dict() == {"n": 4, "via_var": "s"}
    assert cfg.lst == [4, [1, 2]]


def test_base_reference_in_yaml(write) -> None:
    write("base.yaml", "width: 32\n")
    child = write("child.yaml", "_base_: base.yaml\nmodel:\n  w: {{_base_.width}}\n")
    assert Config.fromfile(child).model.w == 32


def test_base_reference_inside_a_longer_string_names_line_key_and_fix(write) -> None:
    write("base.py", "name = 'exp'\n")
    child = write("child.py", "_base_ = './base.py'\nx = 1\nrun = '{{_base_.name}}_v2'\n")
    with pytest.raises(ConfigError, match=r"child\.py:3: \{\{_base_\.name\}\} is used") as info:
        Config.fromfile(child)
    assert "f'{_base_.name}_v2', or _base_.name + '_v2'" in str(info.value)
    assert "* 2" not in str(info.value)
    child = write("child.yaml", "_base_: ./base.py\nmodel:\n  run: 'run_{{_base_.name}}'\n")
    with pytest.raises(ConfigError, match=r"child\.yaml \(key model\.run\):") as info:
        Config.fromfile(child)
    assert "'run_' + _base_.name" in str(info.value)
    # a docstring that mentions a reference is no config value: it loads, as in MMEngine
    doc = write("doc.py", '"""run is {{_base_.name}} of the base."""\n_base_ = "./base.py"\n')
    assert Config.fromfile(doc).name == "exp"


def test_syntax_and_missing_file_errors_carry_the_standard_attributes(write) -> None:
    """lineno/filename/text (SyntaxError) and errno/filename (FileNotFoundError) as in
    MMEngine, for code that reads them; the message stays ours."""
    import errno

    path = write("bad.py", "a = 1\nb = dict(x=1\n")
    with pytest.raises(SyntaxError) as info:
        Config.fromfile(path)
    assert (info.value.lineno, info.value.filename) == (2, str(path))
    assert info.value.text == "b = dict(x=1\n"
    assert str(info.value).startswith(f"{path}:2: syntax error")
    path = write("indent.py", "a = 1\n  b = 2\n")
    with pytest.raises(IndentationError) as indent:
        Config.fromfile(path)
    assert isinstance(indent.value, ConfigError) and indent.value.lineno == 2
    missing = str(path.parent / "nope.py")
    with pytest.raises(FileNotFoundError) as not_found:
        Config.fromfile(missing)
    assert (not_found.value.errno, not_found.value.filename) == (errno.ENOENT, missing)
    assert str(not_found.value) == f"config file {missing} does not exist; check the path."
    import pickle  # a worker process's error reaches its parent whole

    again = pickle.loads(pickle.dumps(not_found.value))
    assert (again.filename, str(again)) == (missing, str(not_found.value))


def test_unknown_base_reference_is_clear(write) -> None:
    write("base.py", "width = 32\n")
    child = write("child.py", "_base_ = 'base.py'\nw = {{_base_.widht}}\n")
    with pytest.raises(ConfigError, match="widht.*Did you mean 'width'"):
        Config.fromfile(child)


def test_a_misspelt_name_in_config_code_gets_pythons_suggestion(write) -> None:
    cfg = write("c.py", "max_epochs = 12\ntrain_cfg = dict(max_epochs=max_epoch)\n")
    with pytest.raises(NameError) as info:
        Config.fromfile(cfg)
    assert str(info.value).endswith(
        "c.py:2: running the config raised NameError: name 'max_epoch' is not defined. "
        "Did you mean 'max_epochs'?"
    )


def test_predefined_variables(write, tmp_path: Path) -> None:
    path = write(
        "sub/my_cfg.py",
        """
        work_dir = './work_dirs/{{ fileBasenameNoExtension }}'
        d = '{{fileDirname}}'
        b = '{{ fileBasename }}'
        e = '{{ fileExtname }}'
        """,
    )
    cfg = Config.fromfile(path)
    assert cfg.work_dir == "./work_dirs/my_cfg"
    assert cfg.d == str(tmp_path / "sub")
    assert cfg.b == "my_cfg.py"
    assert cfg.e == ".py"
    raw = Config.fromfile(path, use_predefined_variables=False)
    assert raw.b == "{{ fileBasename }}"


def test_environment_variables(write, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write("c.py", "root = '{{$DATA_ROOT:data/default}}'\nbs = {{$BATCH:8}}\n")
    monkeypatch.delenv("DATA_ROOT", raising=False)
    monkeypatch.delenv("BATCH", raising=False)
    cfg = Config.fromfile(path)
    assert (cfg.root, cfg.bs) == ("data/default", 8)
    monkeypatch.setenv("DATA_ROOT", "/mnt/data")
    monkeypatch.setenv("BATCH", "64")
    cfg = Config.fromfile(path)
    assert (cfg.root, cfg.bs) == ("/mnt/data", 64)
    assert cfg.env_variables == {"DATA_ROOT": "/mnt/data", "BATCH": "64"}


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("c.py", "root = '{{$DATA_ROOT:x}}'\nbs = {{$BATCH:8}}\n"),
        ("d.py", 'root = f"{{$DATA_ROOT:x}}"\nbs = {{$BATCH:8}}\n'),
        ("c.json", '{"root": "{{$DATA_ROOT:x}}", "bs": {{$BATCH:8}}}\n'),
        ("c.yaml", "root: '{{$DATA_ROOT:x}}'\nbs: {{$BATCH:8}}\n"),
        ("d.yaml", 'root: "{{$DATA_ROOT:x}}"\nbs: {{$BATCH:8}}\n'),
        # a form feed in a comment is no line end for tokenize (it is for str.splitlines)
        ("e.py", "#\x0c" + "x" * 100 + "\nroot = '{{$DATA_ROOT:x}}'\nbs = {{$BATCH:8}}\n"),
    ],
)
def test_environment_value_keeps_backslashes_and_quotes(
    write, monkeypatch: pytest.MonkeyPatch, name: str, source: str
) -> None:
    """The value is escaped for the literal it lands in, not turned into escapes."""
    value = 'D:\\new\\tmp\\x41 it\'s "{q}"'
    monkeypatch.setenv("DATA_ROOT", value)
    monkeypatch.setenv("BATCH", "16")
    cfg = Config.fromfile(write(name, source))
    assert (cfg.root, cfg.bs) == (value, 16)


def test_environment_variable_without_default_or_value(write, monkeypatch) -> None:
    monkeypatch.delenv("RUNNER_TEST_UNSET", raising=False)
    path = write("c.yaml", "root: '{{$RUNNER_TEST_UNSET:}}'\n")
    with pytest.raises(ConfigError, match="RUNNER_TEST_UNSET"):
        Config.fromfile(path)


def test_modules_and_functions_are_dropped_classes_kept(write) -> None:
    path = write(
        "c.py",
        """
        import copy
        def helper(x):
            return x * 2
        value = helper(2)
        pipeline = copy.deepcopy([dict(a=1)])
        kind = int
        """,
    )
    cfg = Config.fromfile(path)
    assert set(cfg) == {"value", "pipeline", "kind"}
    assert cfg.value == 4 and cfg.kind is int


def test_text_holds_all_sources_in_order(write) -> None:
    base = write("base.py", "a = 1\n")
    child = write("child.py", "_base_ = 'base.py'\nb = 2\n")
    cfg = Config.fromfile(child)
    assert cfg.text == f"{base}\na = 1\n\n{child}\n_base_ = 'base.py'\nb = 2\n"


def test_dunder_keys_dropped_and_reserved_keys_refused(write) -> None:
    assert "__tmp" not in Config.fromfile(write("a.py", "__tmp = 1\nx = 2\n"))
    with pytest.raises(ConfigError, match="reserved"):
        Config.fromfile(write("b.py", "filename = 'x'\n"))


def test_deprecation_key_warns_and_is_removed(write) -> None:
    path = write("c.py", "_deprecation_ = dict(expected='new.py')\nx = 1\n")
    with pytest.warns(DeprecationWarning, match="new.py"):
        cfg = Config.fromfile(path)
    assert cfg.to_dict() == {"x": 1}


# -- errors -----------------------------------------------------------------------------


def test_syntax_error_names_file_and_line(write) -> None:
    path = write("bad.py", "a = 1\nb = dict(x=1,\nc = 3\n")
    with pytest.raises(ConfigError) as info:
        Config.fromfile(path)
    assert f"{path}:2" in str(info.value) or f"{path}:3" in str(info.value)
    assert "syntax error" in str(info.value)


def test_runtime_error_names_file_and_line(write) -> None:
    path = write("bad.py", "a = 1\nb = undefined_name + 1\n")
    with pytest.raises(ConfigError, match=rf"{path}:2: .*NameError"):
        Config.fromfile(path)


def test_missing_base_shows_inheritance_chain(write) -> None:
    write("mid.py", "_base_ = 'nowhere/missing.py'\n")
    top = write("top.py", "_base_ = 'mid.py'\n")
    with pytest.raises(ConfigError) as info:
        Config.fromfile(top)
    message = str(info.value)
    assert "missing.py" in message
    assert f"{top} -> " in message and "mid.py -> " in message


def test_base_cycle_is_detected_and_shown(write) -> None:
    write("a.py", "_base_ = 'b.py'\n")
    write("b.py", "_base_ = 'c.py'\n")
    c = write("c.py", "_base_ = 'a.py'\n")
    with pytest.raises(ConfigError, match="cycle") as info:
        Config.fromfile(c)
    assert "c.py -> " in str(info.value) and "a.py -> " in str(info.value)


def test_duplicate_keys_across_bases_are_refused(write) -> None:
    write("a.py", "x = 1\n")
    write("b.py", "x = 2\n")
    with pytest.raises(ConfigError, match="both define x"):
        Config.fromfile(write("c.py", "_base_ = ['a.py', 'b.py']\n"))
    # setting it in the child does not help (nor in MMEngine): the message must not say so
    with pytest.raises(ConfigError, match="even when d.py sets it too") as info:
        Config.fromfile(write("d.py", "_base_ = ['a.py', 'b.py']\nx = 3\n"))
    assert "or in none, and set it in d.py" in str(info.value)
    with pytest.raises(ConfigError, match=r"a\.py is listed twice in _base_"):
        Config.fromfile(write("e.py", "_base_ = ['a.py', 'a.py']\n"))


def test_yaml_python_tags_are_refused(write, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(
        "evil.yaml",
        f"x: !!python/object/apply:os.system ['touch {marker}']\n",
    )
    with pytest.raises(ConfigError, match="tags create no Python objects"):
        Config.fromfile(path)
    assert not marker.exists()
    with pytest.raises(ConfigError, match="python/object"):
        Config.fromfile(write("evil2.yaml", "x: !!python/object:collections.OrderedDict {}\n"))


def test_a_yaml_key_read_as_a_value_is_refused_with_the_fix(write) -> None:
    """`no: 1` loaded as the key False: it passed config check, then every dump (and the
    run folder's config.py) failed with "cannot write the top-level key False"."""
    with pytest.raises(ConfigError, match=r"c\.yaml: the top-level key False is a bool.*'no': 1"):
        Config.fromfile(write("c.yaml", "no: 1\nlr: 0.1\n"))
    assert Config.fromfile(write("d.yaml", "'no': 1\n"))["no"] == 1


def test_bad_json_and_yaml_name_file_and_line(write) -> None:
    with pytest.raises(ConfigError, match=r"c\.json:2: invalid JSON"):
        Config.fromfile(write("c.json", '{"a": 1,\n "b": }\n'))
    with pytest.raises(ConfigError, match=r"c\.yaml:\d+: invalid YAML"):
        Config.fromfile(write("c.yaml", "a: [1, 2\nb: 3\n"))


def test_unsupported_extension_and_missing_file(write, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unsupported config file type '.txt'"):
        Config.fromfile(write("c.txt", "a = 1\n"))
    with pytest.raises(ConfigError, match="does not exist"):
        Config.fromfile(tmp_path / "missing.py")


def test_loading_does_not_import_torch(write) -> None:
    import subprocess
    import sys

    path = write("p.py", "from torch.optim import SGD\noptimizer = dict(type=SGD, lr=0.1)\n")
    code = (
        "import sys\nfrom runner_core.config import Config\n"
        f"cfg = Config.fromfile({str(path)!r})\n"
        "assert cfg.to_dict()['optimizer']['type'] == 'torch.optim.SGD', cfg.optimizer\n"
        "text = cfg.pretty_text + cfg.dump(file_format='json')\n"
        "print('torch' in sys.modules)\n"
        "print(cfg.optimizer.type.__module__, 'torch' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=True,
    )
    # loading, to_dict and dumping import nothing; reading the value imports it
    assert out.stdout.split("\n")[:2] == ["False", "torch.optim.sgd True"]


@pytest.mark.parametrize(
    ("name", "text"),
    [("c.py", "lr = 0.1\nname = 'café'\n"), ("c.json", '{"lr": 0.1, "name": "café"}')],
)
def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path: Path, name: str, text: str) -> None:
    """Windows editors write one; Python runs such a file, the loader refused it
    ('invalid non-printable character U+FEFF')."""
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    cfg = Config.fromfile(str(path))
    assert cfg.lr == 0.1 and cfg.name == "café"


def test_a_config_not_in_utf8_names_the_line(tmp_path: Path) -> None:
    from runner_core.errors import ConfigError

    path = tmp_path / "c.py"
    path.write_bytes("lr = 0.1\n# r\xe9sum\xe9\n".encode("cp1252"))
    with pytest.raises(ConfigError, match=r"c\.py: line 2 is not UTF-8 .*Save the file as UTF-8"):
        Config.fromfile(str(path))


def test_a_bad_byte_after_a_byte_order_mark_is_placed_on_its_own_line(tmp_path: Path) -> None:
    from runner_core.errors import ConfigError

    path = tmp_path / "c.py"
    path.write_bytes(b"\xef\xbb\xbflr = 0.1\nx = 1\n\xe9 = 2\n")
    with pytest.raises(ConfigError, match=r"line 3 is not UTF-8 .*at byte 18\)"):
        Config.fromfile(str(path))


@pytest.mark.parametrize("value", ["5", "[1]"])
def test_a_base_that_is_not_a_path_is_a_type_error(write, value: str) -> None:
    with pytest.raises(
        TypeError, match=r"must be a path or a list of paths, got an int 1?5?"
    ) as info:
        Config.fromfile(write("c.py", f"_base_ = {value}\n"))
    assert isinstance(info.value, ConfigError)


def test_a_misspelt_base_names_the_close_file_beside_it(write) -> None:
    """_base_ = './bas.py' beside base.py said only "check the path": the files of that
    folder with the same suffix are offered (base.yaml is not a '.py' file)."""
    write("base.py", "lr = 0.1\n")
    write("base.yaml", "lr: 0.1\n")
    with pytest.raises(FileNotFoundError, match=r"bas\.py\)\. Did you mean 'base\.py'\? Inh"):
        Config.fromfile(write("c.py", "_base_ = './bas.py'\n"))
    with pytest.raises(FileNotFoundError) as info:  # nothing close, or no such folder
        Config.fromfile(write("d.py", "_base_ = ['./schedule.py', './nowhere/bas.py']\n"))
    assert "Did you mean" not in str(info.value)
    pure = "from runner_core.config import read_base\nwith read_base():\n    from .bsae import *\n"
    with pytest.raises(FileNotFoundError, match=r"bsae\.py\)\. Did you mean 'base\.py'\? Inh"):
        Config.fromfile(write("e.py", pure))  # a pure-Python config's base too (review)


def test_a_base_that_is_a_folder_and_an_empty_path_say_so(write, tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    with pytest.raises(FileNotFoundError, match=r"base config './sub' is a folder"):
        Config.fromfile(write("c.py", "_base_ = './sub'\n"))
    with pytest.raises(FileNotFoundError, match=r"the config path is empty \(''\)"):
        Config.fromfile("")
