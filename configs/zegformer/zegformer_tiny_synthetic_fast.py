# Copyright (c) mmzs3 contributors. All rights reserved.
# Test-time variant of zegformer_tiny_synthetic.py (fused): fast mode with the
# same fraction of queries as zegformer_r50_coco_fast.py (2 of 16, one in
# eight); see docs/benchmarks.md.
_base_ = './zegformer_tiny_synthetic.py'
model = dict(clip_topk=2, clip_share_iou=0.5)
