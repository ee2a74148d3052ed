# Copyright (c) mmzs3 contributors. All rights reserved.
# Cross-dataset test: ZegFormer R50 trained on COCO-Stuff 156
# (zegformer_r50_coco.py) evaluated on PASCAL Context-459 (all names count as
# seen: read mIoU). Test only (no training loop):
#   tools/test.py configs/zegformer/zegformer_r50_coco_test-pc459.py CKPT
# The synonym lists of FC-CLIP / ODISE instead of the plain names:
#   --cfg-options test_dataloader.dataset.dataset.class_names=synonyms
# As the only official cross-vocabulary evaluation (COCO -> ADE-847),
# segments are classified by the CLIP image branch alone (img),
# gamma 0; other modes: --cfg-options model.fusion_mode=fuse_all (or seg).
_base_ = [
    '../_base_/models/zegformer_r50.py',
    '../_base_/datasets/pascal-context459_test.py',
    '../_base_/default_runtime.py'
]
data_preprocessor = dict(seg_pad_val=65535)
model = dict(
    data_preprocessor=data_preprocessor,
    decode_head=dict(ignore_index=65535),
    fusion_mode='img',
    calibration_gamma=0.0)
custom_hooks = [dict(type='VocabularyHook')]
test_cfg = dict(type='TestLoop')
default_hooks = dict(visualization=dict(type='SegVisualizationHook'))
