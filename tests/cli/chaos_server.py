"""Start ``runner-cli`` commands quickly, as real processes, for the chaos test.

Starting Python and importing torch takes seconds on a loaded 2-core machine;
30 interrupted runs would take minutes. This server imports everything once,
then for each request forks a child that runs ``runner_cli.main.main(argv)``
(what the ``runner-cli`` script runs) with stdout/stderr in files. The child
is a real process: the test sends it real signals, and the exit status is
reported as ``subprocess`` reports it (negative for a signal).

Protocol (one JSON line each way): request ``{"argv": [...], "cwd": ..., "out": ...,
"err": ...}``; replies ``{"pid": N}`` at once and ``{"status": S}`` when it ends.
"""

from __future__ import annotations

import gc
import json
import os
import sys


def _warm_up() -> None:
    """Import what a training run imports (no torch op runs here: no thread pools to fork)."""
    import numpy  # noqa: F401
    import torch  # noqa: F401
    import torch._dynamo  # noqa: F401  (the first optimizer step imports it: seconds)
    import torch.optim  # noqa: F401

    import runner_cli.commands.train  # noqa: F401
    import runner_cli.main  # noqa: F401
    import runner_core.runner  # noqa: F401
    from runner_core.registry import HOOKS, LOOPS

    for key in ("EpochBasedTrainLoop", "ValLoop"):
        LOOPS.lookup(key)
    for key in ("CheckpointHook", "LoggerHook"):
        HOOKS.lookup(key)
    # What a fork server does: the imported modules' objects move to the collector's
    # permanent generation. Without it every child, at its exit, walks those ~300,000
    # objects again and again while the interpreter shuts down (1.5 s each on a loaded
    # 2-core machine). Objects a child creates are collected as in any process.
    gc.freeze()


def _child(request: dict) -> None:
    from script_server import become_child  # tests/support, on the server's path

    os.chdir(request["cwd"])
    become_child(request["out"], request["err"])
    sys.argv = ["runner-cli", *request["argv"]]
    from runner_cli.main import main

    try:
        code = main(request["argv"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    sys.stdout.flush()
    sys.stderr.flush()
    sys.exit(code)  # atexit handlers run (the work dir's lock is released)


def serve() -> dict | None:
    """Answer requests until stdin closes; return a request in a forked child."""
    _warm_up()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            return request
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"status": os.waitstatus_to_exitcode(status)}), flush=True)
    return None


if __name__ == "__main__":
    child_request = serve()
    if child_request is not None:
        _child(child_request)
