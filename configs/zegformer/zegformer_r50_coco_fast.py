# Copyright (c) mmzs3 contributors. All rights reserved.
# Test-time variant of zegformer_r50_coco.py: fast mode. Only 13 of the 100
# queries (one in eight) go through the CLIP image branch, chosen by segment
# score x mask area with mask NMS; near-duplicate queries (mask IoU >= 0.5)
# share their CLIP scores, the rest keep the segment branch's.
# docs/benchmarks.md measures the speed-up and the hIoU it costs.
#   tools/test.py configs/zegformer/zegformer_r50_coco_fast.py CKPT
_base_ = './zegformer_r50_coco.py'
model = dict(clip_topk=13, clip_share_iou=0.5)
