# Copyright (c) mmzs3 contributors. All rights reserved.
# ZegFormer R101 on PASCAL VOC 15/5: the R50 VOC recipe with a ResNet-101. Test
# time follows the official R101 VOC evaluation
# (docs/official_implementation.md): fused with lambda 2/3, seen classes
# calibrated with gamma 0.1. This is the paper's VOC row (86.4 / 63.6 / hIoU
# 73.3).
_base_ = './zegformer_r50_voc.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            checkpoint='data/pretrained/resnet101-63fe2227.pth')),
    fusion_mode='fused',
    lam=2 / 3,
    calibration_gamma=0.1)
