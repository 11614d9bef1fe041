# Inherits the main config and overrides a few keys: bfloat16 autocast (works
# on CPUs too), a larger learning rate, and TensorBoard only for scalars.
#   runner-cli train examples/digits-lib/configs/digits_cnn_bf16.py
_base_ = ["./digits_cnn_epoch.py"]

optim_wrapper = dict(
    type="AmpOptimWrapper",
    dtype="bfloat16",
    optimizer=dict(type="AdamW", lr=4e-3, weight_decay=1e-4),
)
train_dataloader = dict(batch_size=64)
visualizer = dict(vis_backends=[dict(type="LocalVisBackend"), dict(type="TensorBoardVisBackend")])
experiment_name = "digits_cnn_bf16"
