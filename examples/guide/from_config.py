"""Guide: "通过配置文件使用执行器" — build the Runner from a config file.

Only the import line differs from the guide, and the
``if __name__ == '__main__':`` guard that data workers started with 'spawn'
(macOS, Windows) need.
"""

from runner_core import Config, Runner

if __name__ == '__main__':  # not in the guide: spawned data workers (macOS, Windows)
    # 加载配置文件
    config = Config.fromfile('configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py/')

    # 通过配置文件初始化执行器
    runner = Runner.build_from_cfg(config)

    # 执行训练
    runner.train()

    # 执行测试
    metrics = runner.test()
