"""Guide: "自定义执行器" — a Runner subclass chosen with ``runner_type``.

Only the imports differ from the guide (the body of ``setup_env`` is the
guide's ``...``: here it records the call and keeps the default set-up).
``GuideRunner`` is the guide's override exactly as written, ``setup_env(self)``
without ``env_cfg``, which MMEngine cannot call; it reads ``self.env_cfg``.
"""

from runner_core import Runner
from runner_core.registry import RUNNERS

CALLS = []  # not in the guide: lets a test see the override ran


@RUNNERS.register_module()
class CustomRunner(Runner):

    def setup_env(self, env_cfg):
        CALLS.append(dict(env_cfg))
        super().setup_env(env_cfg)


@RUNNERS.register_module()
class GuideRunner(Runner):

    def setup_env(self):
        CALLS.append(dict(self.env_cfg))


if __name__ == '__main__':
    from runner_core import Config

    cfg = Config.fromfile('configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py')
    cfg.runner_type = 'CustomRunner'
    runner = Runner.from_cfg(cfg)
    print(type(runner).__name__, CALLS)
    cfg.runner_type = 'GuideRunner'
    guide_runner = Runner.from_cfg(cfg)
    print(type(guide_runner).__name__, CALLS)
