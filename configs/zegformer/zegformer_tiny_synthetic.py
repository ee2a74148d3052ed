# Copyright (c) mmzs3 contributors. All rights reserved.
# ZegFormer on the synthetic zero-shot benchmark, trainable on 2 CPU cores
# in minutes: seen-class pixel labels only, the tiny CLIP pretrained on the
# image-caption set of all 16 classes, evaluated on all 16 (fused mode).
# Run everything (data, CLIP pretraining, this, the baseline, the table):
#     python tools/run_embedded_default.py
# Needs data/synthetic_shapes and the tiny CLIP export in
# work_dirs/tiny_clip_synthetic/open_clip (docs/synthetic_benchmark.md).
_base_ = [
    '../_base_/models/zegformer_tiny.py',
    '../_base_/datasets/synthetic_shapes.py',
    '../_base_/default_runtime.py'
]
# The backbone starts from image-level pretraining on the caption set, the
# analogue of the paper's ImageNet-pretrained backbone
# (configs/backbone_pretrain/resnet18-slim_synthetic.py; stage 3 of
# tools/run_embedded_default.py).
backbone_weights = 'work_dirs/resnet18-slim_synthetic/iter_300.pth'
model = dict(
    backbone=dict(
        init_cfg=dict(
            _delete_=True,
            type='Pretrained',
            checkpoint=backbone_weights,
            prefix='backbone.')))
max_iters = 1150
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='TrainableOptimWrapperConstructor',
    optimizer=dict(type='AdamW', lr=5e-4, weight_decay=1e-4),
    clip_grad=dict(max_norm=0.01, norm_type=2),
    paramwise_cfg=dict(
        custom_keys=dict(query_embed=dict(decay_mult=0.0)),
        norm_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=50),
    dict(
        type='PolyLR',
        eta_min=0,
        power=0.9,
        begin=50,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=max_iters,
        max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='SegVisualizationHook', interval=50))
custom_hooks = [
    dict(type='VocabularyHook'),
    dict(type='ChannelsLastHook')
]
randomness = dict(seed=0)
