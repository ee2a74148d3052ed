# The VOC schedule: ZegFormer's recipe over 10k iterations
# (docs/official_implementation.md).
_base_ = './schedule_60k.py'
param_scheduler = [
    dict(
        type='PolyLR', eta_min=0, power=0.9, begin=0, end=10000,
        by_epoch=False)
]
train_cfg = dict(max_iters=10000, val_interval=10000)
default_hooks = dict(checkpoint=dict(interval=10000))
