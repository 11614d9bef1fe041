# A small iteration-based job for the start-up and resume benchmarks.
# The bench folder must be on PYTHONPATH (the benchmarks set it).
custom_imports = dict(imports=["bench_parts"])

model = dict(type="BenchMLP")
train_dataloader = dict(
    dataset=dict(type="SyntheticDataset", length=200_000, delay=0.0),
    sampler=dict(type="DefaultSampler", shuffle=True),
    batch_size=4,
)
train_cfg = dict(by_epoch=False, max_iters=20_000, val_interval=10**9)
optim_wrapper = dict(optimizer=dict(type="SGD", lr=0.01, momentum=0.9))
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(by_epoch=False, interval=10**9, save_last=False),
)
custom_hooks = [dict(type="FirstIterProbe")]
randomness = dict(seed=0)
