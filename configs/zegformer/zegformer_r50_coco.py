# Copyright (c) mmzs3 contributors. All rights reserved.
# ZegFormer R50 on COCO-Stuff 156 seen / 15 unseen
# (docs/official_implementation.md): 8 GPUs x 4 images, 60k iterations, 640x640
# crops, AdamW 1e-4 (backbone x0.1), poly, full-model grad-norm clip 0.01, AMP.
# The segment classifier uses the 8 'imagenet_select' templates; at test time
# the CLIP ViT-B/16 image branch ('clip_select' templates) is fused with lambda
# 2/3 and the seen classes are calibrated with gamma 0.1
# (docs/official_implementation.md, the official R50 gzss_eval).
#   tools/dist_train.sh configs/zegformer/zegformer_r50_coco.py 8
_base_ = [
    '../_base_/models/zegformer_r50.py',
    '../_base_/datasets/coco-stuff164k_zs156-15.py',
    '../_base_/default_runtime.py', '../_base_/schedules/schedule_60k.py'
]
model = dict(
    text_encoder=dict(templates='imagenet_select'),
    clip_templates='clip_select',
    fusion_mode='fused',
    lam=2 / 3,
    calibration_gamma=0.1)
# mixed precision, as the official COCO recipe (SOLVER.AMP.ENABLED)
optim_wrapper = dict(type='AmpOptimWrapper', loss_scale='dynamic')
train_dataloader = dict(batch_size=4)
# the official checkpoint period on COCO
default_hooks = dict(checkpoint=dict(interval=1000))
# train (seen) and test (all) vocabularies from the datasets' metainfo
custom_hooks = [dict(type='VocabularyHook')]
auto_scale_lr = dict(enable=False, base_batch_size=32)
