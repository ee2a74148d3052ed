# Copyright (c) mmzs3 contributors. All rights reserved.
# The paper's pixel-level baseline ("SPNet-FPN",
# docs/official_implementation.md) on COCO-Stuff 156/15: the backbone, FPN
# pixel decoder, text encoder, data and schedule of zegformer_r50_coco.py, but
# each pixel embedding is classified against the text embeddings (no segments,
# no CLIP image branch). Compare its unseen mIoU with
# zegformer_r50_coco_seg.py.
_base_ = './zegformer_r50_coco.py'
model = dict(
    decode_head=dict(
        _delete_=True,
        type='PixelZeroShotHead',
        in_channels=[256, 512, 1024, 2048],
        feat_channels=256,
        temperature=0.01,
        pixel_decoder=dict(
            type='mmdet.PixelDecoder',
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU')),
        ignore_index=255,
        align_corners=False),
    clip_classifier=None,
    fusion_mode='seg')
