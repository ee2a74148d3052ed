# Copyright (c) mmzs3 contributors. All rights reserved.
# The pixel-level zero-shot baseline (docs/official_implementation.md,
# "SPNet-FPN") on the synthetic benchmark: the same backbone, FPN pixel
# decoder, text encoder, data and schedule as zegformer_tiny_synthetic.py, but
# every pixel embedding is classified against the text embeddings (no segments,
# no CLIP image branch).
_base_ = './zegformer_tiny_synthetic.py'
model = dict(
    decode_head=dict(
        _delete_=True,
        type='PixelZeroShotHead',
        in_channels=[32, 64, 128, 256],
        feat_channels={{_base_.feat_channels}},
        temperature=0.01,
        pixel_decoder=dict(
            type='mmdet.PixelDecoder',
            norm_cfg=dict(type='GN', num_groups=8),
            act_cfg=dict(type='ReLU')),
        ignore_index=255,
        align_corners=False),
    clip_classifier=None,
    fusion_mode='seg')
