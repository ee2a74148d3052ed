# Copyright (c) mmzs3 contributors. All rights reserved.
# Cross-dataset test: ZegFormer R50 trained on COCO-Stuff 156
# (zegformer_r50_coco.py) evaluated on PASCAL Context-59 (all names count as
# seen: read mIoU).
# Test only (no training loop):
#   tools/test.py configs/zegformer/zegformer_r50_coco_test-pc59.py CKPT
# As the only official cross-vocabulary evaluation (COCO -> ADE-847,
# docs/official_implementation.md), segments are classified by the CLIP
# image branch alone (img),
# gamma 0; other modes: --cfg-options model.fusion_mode=fuse_all (or seg).
_base_ = [
    '../_base_/models/zegformer_r50.py',
    '../_base_/datasets/pascal-context59_test.py',
    '../_base_/default_runtime.py'
]
model = dict(fusion_mode='img', calibration_gamma=0.0)
custom_hooks = [dict(type='VocabularyHook')]
test_cfg = dict(type='TestLoop')
default_hooks = dict(visualization=dict(type='SegVisualizationHook'))
