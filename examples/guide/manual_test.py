"""Guide: the test example — a model, a test set, an evaluator and ``load_from``.

Only the imports differ from the guide, and the ``if __name__ == '__main__':``
guard that data workers started with 'spawn' (macOS, Windows) need.
``./faster_rcnn.pth`` must exist: ``python manual_test.py`` first writes one
from an untrained model when it is missing (the guide assumes a trained one).
"""

import os

from torch.utils.data import DataLoader as Dataloader
from toys import CocoDataset, CocoMetric, FasterRCNN

from runner_core import Runner
from runner_core.evaluator import Evaluator

if __name__ == '__main__':  # not in the guide: spawned data workers (macOS, Windows)
    if not os.path.exists("./faster_rcnn.pth"):  # not in the guide: make the file it loads
        import torch

        torch.save({"state_dict": FasterRCNN().state_dict()}, "./faster_rcnn.pth")

    model = FasterRCNN()
    test_dataset = CocoDataset()
    test_dataloader = Dataloader(dataset=test_dataset, batch_size=2, num_workers=2)
    metric = CocoMetric()
    test_evaluator = Evaluator(metric)

    # 初始化执行器
    runner = Runner(model=model, test_dataloader=test_dataloader, test_evaluator=test_evaluator,
                    load_from='./faster_rcnn.pth')

    # 执行测试
    metrics = runner.test()
