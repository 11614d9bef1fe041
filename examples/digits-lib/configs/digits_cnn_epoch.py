# The main digits run: a small CNN on scikit-learn's 8x8 digits, by epochs, with
# linear warm-up then cosine decay, checkpoints, and scalars for TensorBoard.
#   runner-cli train examples/digits-lib/configs/digits_cnn_epoch.py
# Every type below comes from an entry point: runner-digits (DigitsDataset,
# RandomShift, DigitsCNN, MacroF1, PerClassValLoop, BestAccuracyHook),
# runner-core (Accuracy, AdamW via torch.optim, the schedulers),
# runner-hooks-standard (the default hooks, the vis backends).
max_epochs = 10

model = dict(type="DigitsCNN", channels=(32, 64), hidden=128, dropout=0.1)

train_dataloader = dict(
    dataset=dict(
        type="DigitsDataset",
        split="train",
        pipeline=[dict(type="RandomShift", max_shift=1, prob=0.5)],
    ),
    sampler=dict(type="DefaultSampler", shuffle=True),
    batch_size=32,
    num_workers=0,
)
val_dataloader = dict(
    dataset=dict(type="DigitsDataset", split="val"),
    sampler=dict(type="DefaultSampler", shuffle=False),
    batch_size=128,
)
test_dataloader = dict(
    dataset=dict(type="DigitsDataset", split="test"),
    sampler=dict(type="DefaultSampler", shuffle=False),
    batch_size=128,
)
val_evaluator = [dict(type="Accuracy"), dict(type="MacroF1")]
test_evaluator = val_evaluator

train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type="PerClassValLoop")
test_cfg = dict(type="PerClassValLoop")

optim_wrapper = dict(optimizer=dict(type="AdamW", lr=3e-3, weight_decay=1e-4))
param_scheduler = [
    # 50 iterations of linear warm-up from 10% of the learning rate ...
    dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=50),
    # ... and cosine decay over the epochs from the start, stepped every iteration (during
    # the warm-up both apply: their factors multiply)
    dict(
        type="CosineAnnealingLR",
        by_epoch=True,
        begin=0,
        T_max=max_epochs,
        convert_to_iter_based=True,
    ),
]

default_hooks = dict(
    logger=dict(type="LoggerHook", interval=10),
    checkpoint=dict(type="CheckpointHook", interval=1, max_keep_ckpts=2, save_best="accuracy/top1"),
)
custom_hooks = [dict(type="BestAccuracyHook", metric="accuracy/top1")]

visualizer = dict(vis_backends=[dict(type="LocalVisBackend"), dict(type="TensorBoardVisBackend")])

randomness = dict(seed=0)
# A model this small runs fastest on one thread: more threads only add
# synchronisation (and fight other processes for the cores).
env_cfg = dict(mp_cfg=dict(omp_num_threads=1))
