# Copyright (c) mmzs3 contributors. All rights reserved.
# ZegFormer R50 on ADE20K-Full 847, frequency split 572 seen / 275 unseen
# (docs/official_implementation.md): 8 GPUs x 4 images, 60k iterations, 512x512
# crops, 'imagenet_select' templates (names with ', ' are synonym lists), no
# AMP. 16-bit labels: ignore value 65535 in the padding and in the head. Test
# time: fused with lambda 2/3, no calibration (gamma 0,
# docs/official_implementation.md).
#   tools/dist_train.sh configs/zegformer/zegformer_r50_ade847.py 8
_base_ = [
    '../_base_/models/zegformer_r50.py',
    '../_base_/datasets/ade20k-full847_zs572-275.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_60k.py'
]
data_preprocessor = dict(seg_pad_val=65535)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(ignore_index=65535),
    text_encoder=dict(templates='imagenet_select'),
    clip_templates='clip_select',
    fusion_mode='fused',
    lam=2 / 3,
    calibration_gamma=0.0)
train_dataloader = dict(batch_size=4)
custom_hooks = [dict(type='VocabularyHook')]
auto_scale_lr = dict(enable=False, base_batch_size=32)
