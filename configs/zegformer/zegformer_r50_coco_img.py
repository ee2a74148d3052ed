# Copyright (c) mmzs3 contributors. All rights reserved.
# Test-time variant of zegformer_r50_coco.py: ZegFormer-img, every segment
# classified by the CLIP image branch alone (the segment head's no-object
# logit kept), no calibration, as the official CLIP-only evaluations
# (VOC R50, COCO -> ADE-847; docs/official_implementation.md).
#   tools/test.py configs/zegformer/zegformer_r50_coco_img.py CKPT
_base_ = './zegformer_r50_coco.py'
model = dict(fusion_mode='img', calibration_gamma=0.0)
