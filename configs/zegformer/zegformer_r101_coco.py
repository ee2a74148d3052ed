# Copyright (c) mmzs3 contributors. All rights reserved.
# ZegFormer R101 on COCO-Stuff 156/15: the R50 recipe with a ResNet-101
# (torchvision ImageNet weights, docs/official_implementation.md). Trained with
# 'imagenet_select' like R50; note that the official R101 evaluation
# (gzss_eval, the paper's 36.6 / 33.2 / 34.8) encodes the class names with the
# single template:
#   tools/test.py configs/zegformer/zegformer_r101_coco.py CKPT \
#       --cfg-options model.text_encoder.templates=single
_base_ = './zegformer_r50_coco.py'
model = dict(
    backbone=dict(
        depth=101,
        init_cfg=dict(
            checkpoint='data/pretrained/resnet101-63fe2227.pth')))
