# ZegFormer's recipe (docs/official_implementation.md): AdamW 1e-4, weight
# decay 1e-4, backbone lr x0.1, no decay on norms and query embeddings,
# poly(0.9) with no warm-up, full-model gradient-norm clipping at 0.01.
# Frozen parameters (CLIP towers, backbone norms) stay out of the optimizer
# with one log line (TrainableOptimWrapperConstructor).
optimizer = dict(type='AdamW', lr=1e-4, weight_decay=1e-4)
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='TrainableOptimWrapperConstructor',
    optimizer=optimizer,
    clip_grad=dict(max_norm=0.01, norm_type=2),
    paramwise_cfg=dict(
        custom_keys=dict(
            backbone=dict(lr_mult=0.1),
            query_embed=dict(decay_mult=0.0)),
        norm_decay_mult=0.0))
param_scheduler = [
    dict(
        type='PolyLR', eta_min=0, power=0.9, begin=0, end=60000,
        by_epoch=False)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=60000, val_interval=5000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=5000,
        save_best='hIoU',
        rule='greater',
        max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook'))
