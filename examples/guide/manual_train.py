"""Guide: "手动构建模块来使用执行器" — build the parts by hand, then train.

Only the imports differ from the guide (and the placeholders come from toys.py),
and the ``if __name__ == '__main__':`` guard that data workers started with
'spawn' (the default on macOS and Windows) need.
"""

from torch.optim import SGD
from torch.utils.data import DataLoader as Dataloader
from toys import ImageNetDataset, ResNet

from runner_core import Runner
from runner_core.optim.scheduler import MultiStepLR

if __name__ == '__main__':  # not in the guide: spawned data workers (macOS, Windows)
    # 准备训练任务所需要的模块
    model = ResNet()
    optimzier = SGD(model.parameters(), lr=0.01, momentum=0.9)
    lr_scheduler = MultiStepLR(milestones=[80, 90], by_epoch=True)
    train_dataset = ImageNetDataset()
    train_dataloader = Dataloader(dataset=train_dataset, batch_size=32, num_workers=4)

    # 训练相关参数设置
    train_cfg = dict(by_epoch=True, max_epoch=100)

    # 初始化执行器
    runner = Runner(model=model, optimizer=optimzier, param_scheduler=lr_scheduler,
                    train_dataloader=train_dataloader, train_cfg=train_cfg)
    # 执行训练
    runner.train()
