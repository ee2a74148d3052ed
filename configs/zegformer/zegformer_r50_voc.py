# Copyright (c) mmzs3 contributors. All rights reserved.
# ZegFormer R50 on PASCAL VOC 15 seen / 5 unseen
# (docs/official_implementation.md): 8 GPUs x 4 images, 10k iterations, 512x512
# crops, the single template, no AMP. VOC background is ignored in training and
# testing (no background class). Test time follows the official R50 VOC
# evaluation (docs/official_implementation.md): the CLIP image branch alone
# (ZegFormer-img), no calibration. The official README finds 10k iterations
# unstable and recommends longer schedules.
#   tools/dist_train.sh configs/zegformer/zegformer_r50_voc.py 8
_base_ = [
    '../_base_/models/zegformer_r50.py',
    '../_base_/datasets/voc12aug_zs15-5.py', '../_base_/default_runtime.py',
    '../_base_/schedules/schedule_10k.py'
]
model = dict(
    text_encoder=dict(templates='single'),
    clip_templates='clip_select',
    fusion_mode='img',
    calibration_gamma=0.0)
train_dataloader = dict(batch_size=4)
custom_hooks = [dict(type='VocabularyHook')]
auto_scale_lr = dict(enable=False, base_batch_size=32)
