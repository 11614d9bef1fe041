# Inherits the main config and swaps the 'checkpoint' default hook for the
# library's own DigitsCheckpointHook (saves every epoch, keeps two, and keeps
# the best by accuracy/top1). A dict with a 'type' replaces the role's hook;
# one without 'type' would only change the arguments of the standard one.
#   runner-cli train examples/digits-lib/configs/digits_cnn_own_hooks.py
# The same swap for every config at once: default_hooks_set = 'digits' (the
# library's default-hooks set), or RUNNER_DEFAULT_HOOKS=digits in the environment.
_base_ = ["./digits_cnn_epoch.py"]

default_hooks = dict(
    checkpoint=dict(_delete_=True, type="DigitsCheckpointHook", max_keep_ckpts=1),
)
