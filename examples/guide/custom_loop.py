"""Guide: "自定义执行流程" — a validation loop over two data sets, with extra hook points.

Only the imports differ from the guide; the config at the bottom is the
guide's ``val_cfg``/``custom_hooks`` with its ``...`` filled in.
"""

from toys import ResNet  # noqa: F401  (the stand-ins register ImageNet, ValDataset2, ...)

from runner_core.hooks import Hook
from runner_core.loop import BaseLoop
from runner_core.registry import HOOKS, LOOPS

REACHED = []  # not in the guide: lets a test see the custom points were reached


# 自定义验证循环
@LOOPS.register_module()
class CustomValLoop(BaseLoop):
    def __init__(self, runner, dataloader, evaluator, dataloader2):
        super().__init__(runner, dataloader, evaluator)
        self.dataloader2 = runner.build_dataloader(dataloader2)

    def run(self):
        self.runner.call_hooks('before_val_epoch')
        for idx, data_batch in enumerate(self.dataloader):
            self.runner.call_hooks(
                'before_val_iter', batch_idx=idx, data_batch=data_batch)
            outputs = self.run_iter(idx, data_batch)
            self.runner.call_hooks(
                'after_val_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)
        metric = self.evaluator.evaluate()

        # 增加额外的验证循环
        for idx, data_batch in enumerate(self.dataloader2):
            # 增加额外的钩子点位
            self.runner.call_hooks(
                'before_valloader2_iter', batch_idx=idx, data_batch=data_batch)
            self.run_iter(idx, data_batch)
            # 增加额外的钩子点位
            self.runner.call_hooks(
                'after_valloader2_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)
        metric2 = self.evaluator.evaluate()

        REACHED.append(('metrics', metric, metric2))

        self.runner.call_hooks('after_val_epoch')


# 定义额外点位的钩子类
@HOOKS.register_module()
class CustomValHook(Hook):
    def before_valloader2_iter(self, batch_idx, data_batch):
        REACHED.append(('before_valloader2_iter', batch_idx))

    def after_valloader2_iter(self, batch_idx, data_batch, outputs):
        REACHED.append(('after_valloader2_iter', batch_idx))


if __name__ == '__main__':
    from runner_core import Config, Runner

    cfg = Config.fromfile('configs/faster_rcnn/faster_rcnn_r50_fpn_1x_coco.py')
    cfg.merge_from_dict(dict(train_cfg=dict(max_epochs=2)))
    # 自定义验证循环
    cfg.val_cfg = dict(type='CustomValLoop', dataloader2=dict(dataset=dict(type='ValDataset2'), batch_size=16))
    # 额外点位的钩子
    cfg.custom_hooks = [dict(type='CustomValHook')]
    Runner.from_cfg(cfg).train()
    print(REACHED[-1])
