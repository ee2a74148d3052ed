# Copyright (c) mmzs3 contributors. All rights reserved.
# Test-time variant of zegformer_r50_coco.py: ZegFormer-seg, the segment
# embeddings only (no CLIP image branch is built), seen classes calibrated with
# gamma 0.1 (docs/official_implementation.md). The paper's "decoupled vs
# pixel-level" rows (docs/official_implementation.md) are this mode.
#   tools/test.py configs/zegformer/zegformer_r50_coco_seg.py CKPT
_base_ = './zegformer_r50_coco.py'
model = dict(clip_classifier=None, fusion_mode='seg')
