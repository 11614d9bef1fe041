# The guide's "典型的配置简单例子", with the `...` placeholders filled in and
# 15 epochs instead of 100 so it runs in seconds on a CPU, and a fixed seed.
custom_imports = dict(imports=['toys'], allow_failed_imports=False)

# 模型配置
model = dict(type='ImageClassifier',
             backbone=dict(type='ResNet', depth=50),
             neck=dict(type='GlobalAveragePooling'),
             head=dict(type='LinearClsHead', num_classes=1000))
# 数据配置
train_dataloader = dict(dataset=dict(type='ImageNet', pipeline=[]),
                        sampler=dict(type='DefaultSampler', shuffle=True),
                        batch_size=32,
                        num_workers=4)
val_dataloader = dict(dataset=dict(type='ImageNet', seed=1, pipeline=[]),
                      sampler=dict(type='DefaultSampler', shuffle=False),
                      batch_size=64, num_workers=0)
test_dataloader = dict(dataset=dict(type='ImageNet', seed=2, pipeline=[]),
                       sampler=dict(type='DefaultSampler', shuffle=False),
                       batch_size=64, num_workers=0)

# 优化器配置
optimizer = dict(type='SGD', lr=0.01)
# 参数调度器配置
param_scheduler = dict(type='MultiStepLR', milestones=[80, 90])
# 验证和测试的评测器配置
val_evaluator = dict(type='Accuracy')
test_evaluator = dict(type='Accuracy')

# 训练、验证、测试流程配置
train_cfg = dict(by_epoch=True, max_epochs=15)
val_cfg = dict(interval=1)  # 每隔一个 epoch 进行一次验证
test_cfg = dict()

# 自定义钩子
custom_hooks = []

# 默认钩子
default_hooks = dict(
    timer=dict(type='IterTimerHook'),  # 计时器钩子
    checkpoint=dict(type='CheckpointHook', interval=1),  # 模型保存钩子
    logger=dict(type='TextLoggerHook'),  # 训练日志钩子
    optimizer=dict(type='OptimzierHook', grad_clip=False),  # 优化器钩子
    param_scheduler=dict(type='ParamSchedulerHook'),  # 参数调度器执行钩子
    sampler_seed=dict(type='DistSamplerSeedHook'))  # 为每轮次的数据采样设置随机种子的钩子

# 环境配置
env_cfg = dict(
    cudnn_benchmark=False,
    dist_cfg=dict(backend='nccl'),
    mp_cfg=dict(mp_start_method='fork')
)
# 日志等级配置
log_level = 'INFO'

# 加载权重
load_from = None
# 恢复训练
resume = False

# not in the guide: a fixed seed makes this small run reproducible
randomness = dict(seed=0)
