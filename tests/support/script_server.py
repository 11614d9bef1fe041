"""Start test scripts (``python SCRIPT ARGS``) quickly, each as a real new process.

Starting Python and importing torch (and ``torch._dynamo``, which the first
optimizer imports) takes seconds per process on a loaded 2-core machine. A
:class:`ScriptServer` starts one server process that imports those modules once,
then forks a child per request that runs the script as ``__main__`` with
stdout/stderr in files. Each child is a new process that has trained nothing
(the server runs no torch op, so no thread pool is forked either): the tests
send it real signals and get its exit status as ``subprocess`` reports it
(negative for a signal). Several children may run at once.

Protocol (one JSON line each way): request ``{"id": N, "argv": [...], "out": ...,
"err": ...}``, optionally with ``"module"`` (``python -m MODULE *argv``), ``"cwd"``,
``"env"`` (the child's whole environment) and ``"path"`` (entries put first on
``sys.path``, as ``PYTHONPATH``); replies ``{"id": N, "pid": P}`` at once and
``{"id": N, "status": S}`` when the child ends.
"""

from __future__ import annotations

import gc
import json
import os
import queue
import runpy
import select
import signal
import subprocess
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: What a training script imports; ``torch._dynamo`` is what the first optimizer imports.
WARM_UP = ("numpy", "torch", "torch._dynamo", "torch.optim", "runner_core", "runner_core.runner")


# -- the server process ------------------------------------------------------------------------
def _serve(warm: list[str]) -> dict[str, Any] | None:
    """Answer requests until stdin closes; return a request in a forked child."""
    import importlib

    for name in warm:
        importlib.import_module(name)
    # the imported modules' objects move to the collector's permanent generation: no
    # child walks those ~300,000 objects again at its exit (seconds on a loaded machine)
    gc.freeze()
    print(json.dumps({"ready": True}), flush=True)
    children: dict[int, int] = {}  # pid -> request id
    pending = b""
    stdin_open = True
    while stdin_open or children:
        if stdin_open and select.select([0], [], [], 0.005)[0]:
            chunk = os.read(0, 65536)
            stdin_open = bool(chunk)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                request = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    return request
                children[pid] = request["id"]
                print(json.dumps({"id": request["id"], "pid": pid}), flush=True)
        elif not stdin_open:
            select.select([], [], [], 0.005)
        while children:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            code = os.waitstatus_to_exitcode(status)
            print(json.dumps({"id": children.pop(pid), "status": code}), flush=True)
    return None


def become_child(out: str, err: str) -> None:
    """In a forked child: no stdin, stdout/stderr appended to files, signals as in a terminal."""
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(target, fd)
        os.close(target)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Ctrl-C raises KeyboardInterrupt
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _child(request: dict[str, Any]) -> None:
    become_child(request["out"], request["err"])
    if request.get("cwd"):
        os.chdir(request["cwd"])
    if request.get("env") is not None:
        os.environ.clear()
        os.environ.update(request["env"])
    module = request.get("module")
    sys.argv = [module or request["argv"][0], *request["argv"][int(not module) :]]
    # as `python -m MODULE` (the working directory) or `python SCRIPT` (its folder) sets it
    sys.path[0] = os.getcwd() if module else str(Path(request["argv"][0]).resolve().parent)
    sys.path[1:1] = [p for p in request.get("path", []) if p not in sys.path]
    code: int = 0
    try:
        if module:
            runpy.run_module(module, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(request["argv"][0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)  # exit handlers run, as in any process


# -- the client, in the test process -------------------------------------------------------------
@dataclass
class Finished:
    """A child's exit status (negative: the signal that ended it) and its output."""

    returncode: int
    stdout: str
    stderr: str


class ScriptServer:
    """``with ScriptServer(env, folder) as server: server.run([script, *args])``."""

    def __init__(self, env: dict[str, str], folder: Path, warm: tuple[str, ...] = WARM_UP):
        self.folder = folder
        self.proc = subprocess.Popen(
            [sys.executable, __file__, *warm],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._lock = threading.Lock()
        self._next = 0
        self._replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self._ready: queue.Queue[dict[str, Any]] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        assert self._ready.get(timeout=180) == {"ready": True}

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            reply = json.loads(line)
            if "id" in reply:
                self._replies[reply["id"]].put(reply)
            else:
                self._ready.put(reply)

    def start(
        self, argv: list[str], **options: Any
    ) -> tuple[int, queue.Queue[dict[str, Any]], int]:
        """Fork a child running ``python *argv``: (its pid, its reply queue, request id).

        ``options``: the protocol's optional keys (``module``, ``cwd``, ``env``, ``path``).
        """
        assert self.proc.stdin is not None
        with self._lock:
            self._next += 1
            rid = self._next
            replies: queue.Queue[dict[str, Any]] = queue.Queue()
            self._replies[rid] = replies
            out, err = self.folder / f"{rid}.out", self.folder / f"{rid}.err"
            out.write_text("")  # there to read from the start; the child appends
            err.write_text("")
            request = {"id": rid, "argv": [str(a) for a in argv], "out": str(out), "err": str(err)}
            request.update(options)
            self.proc.stdin.write(json.dumps(request) + "\n")
            self.proc.stdin.flush()
        return int(replies.get(timeout=60)["pid"]), replies, rid

    def wait(
        self, replies: queue.Queue[dict[str, Any]], rid: int, timeout: float, pid: int = 0
    ) -> Finished:
        """The child's end; past ``timeout`` s it is killed (``pid``) and TimeoutExpired raised."""
        try:
            status = int(replies.get(timeout=timeout)["status"])
        except queue.Empty:
            if pid:
                os.kill(pid, signal.SIGKILL)
                replies.get(timeout=60)
            raise subprocess.TimeoutExpired(f"child {rid}", timeout) from None
        read = lambda ext: (self.folder / f"{rid}.{ext}").read_text(errors="replace")  # noqa: E731
        return Finished(status, read("out"), read("err"))

    def run(self, argv: list[str], timeout: float = 120, **options: Any) -> Finished:
        """Run ``python *argv`` in a new forked process to its end (``options``: see start)."""
        pid, replies, rid = self.start(argv, **options)
        return self.wait(replies, rid, timeout, pid)

    def close(self) -> None:
        """Stop taking requests; the server exits once its last child has."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:  # a child still runs: a test failed with it alive
            self.proc.kill()
            self.proc.wait()
            raise
        finally:
            self._close_stdout()

    def _close_stdout(self) -> None:
        """Close the reply pipe once the reader has seen its end (no unclosed-file warning)."""
        self._reader.join(timeout=10)
        if self.proc.stdout is not None and not self._reader.is_alive():
            self.proc.stdout.close()

    def __enter__(self) -> ScriptServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


if __name__ == "__main__":
    child_request = _serve(sys.argv[1:])
    if child_request is not None:
        _child(child_request)
