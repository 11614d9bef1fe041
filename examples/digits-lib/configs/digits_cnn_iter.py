# The digits CNN trained by iterations: validation and checkpoints every 100
# iterations, warm-up then cosine decay counted in iterations.
#   runner-cli train examples/digits-lib/configs/digits_cnn_iter.py
_base_ = ["./digits_cnn_epoch.py"]

max_iters = 500

train_cfg = dict(_delete_=True, by_epoch=False, max_iters=max_iters, val_interval=100)
param_scheduler = [
    dict(type="LinearLR", start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type="CosineAnnealingLR", by_epoch=False, begin=0, T_max=max_iters),
]
default_hooks = dict(
    checkpoint=dict(by_epoch=False, interval=100),
)
log_processor = dict(by_epoch=False)
