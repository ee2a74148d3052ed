# Image-level pretraining of the miniature's backbone, the analogue of the
# ImageNet-pretrained ResNet of the paper: the slim ResNet-18 of
# configs/_base_/models/zegformer_tiny.py with a linear classifier on its
# pooled last stage, trained with cross-entropy on the synthetic
# benchmark's image-caption set (single-object crops of all 16 classes,
# unseen ones included, each labelled by the class its caption names).
# Image-level knowledge of every concept, pixel labels of none.
# Data: python tools/dataset_converters/synthetic_shapes.py
# Train: python tools/train.py \
#     configs/backbone_pretrain/resnet18-slim_synthetic.py
# The segmentation configs read its checkpoint with prefix 'backbone.'.
_base_ = [
    '../_base_/default_runtime.py', '../_base_/datasets/synthetic_captions.py'
]

synthetic_classes = [
    f'{colour} {shape}' for colour in ('red', 'green', 'blue', 'yellow')
    for shape in ('circle', 'square', 'triangle', 'star')
]
model = dict(
    type='ImageLevelPretrainModel',
    backbone=dict(
        type='ResNet',
        depth=18,
        base_channels=32,
        stem_channels=32,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        strides=(1, 2, 2, 2),
        dilations=(1, 1, 1, 1),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch'),
    in_channels=256,
    class_names=synthetic_classes,
    # The segmentors' normalisation (ImageNet mean and std, RGB).
    data_preprocessor=dict(
        type='ImgDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True))
max_iters = 300
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0,
         end=10),
    dict(
        type='CosineAnnealingLR',
        eta_min=2e-5,
        by_epoch=False,
        begin=10,
        end=max_iters),
]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook',
        by_epoch=False,
        interval=max_iters,
        max_keep_ckpts=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
# Convolutions run faster on CPUs with channels-last weights.
custom_hooks = [dict(type='ChannelsLastHook')]
randomness = dict(seed=0)
