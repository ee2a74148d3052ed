# Copyright (c) mmzs3 contributors. All rights reserved.
# ZegFormer in miniature for the synthetic benchmark: the R50 model of
# zegformer_r50.py with a slim ResNet-18 (32 base channels, trainable BN,
# output stride 16), a 64-channel MaskFormer head (16 queries, 3 decoder
# layers), and the tiny CLIP of configs/_base_/clip/tiny_clip.py
# for the text encoder and the segment re-classifier. The CLIP weights are
# the pretraining export (tools/misc/export_open_clip.py), read through the
# same `pretrained=<file>` path as a real open_clip checkpoint.
_base_ = ['./zegformer_r50.py', '../clip/tiny_clip.py']
feat_channels = 64
attention = dict(embed_dims=feat_channels, num_heads=4)
clip_weights = ('work_dirs/tiny_clip_synthetic/open_clip/'
                'open_clip_pytorch_model.bin')
# The caption templates of the pretraining set, used as the prompt ensemble.
clip_templates = [
    'a photo of a {}.', 'a {}.', 'a picture of a {}.', 'an image of a {}.'
]
model = dict(
    # Output stride 16 (stage 4 dilated, as mmseg's dilated ResNets): on
    # 128 px scenes the transformer decoder then attends to 8 x 8 res5
    # tokens instead of 4 x 4, enough to see each object's shape, at about
    # half the cost per iteration of output stride 8
    # (docs/synthetic_benchmark.md). Weights of the undilated backbone load
    # unchanged.
    backbone=dict(
        depth=18,
        base_channels=32,
        stem_channels=32,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    decode_head=dict(
        in_channels=[32, 64, 128, 256],
        feat_channels=feat_channels,
        out_channels=feat_channels,
        num_queries=16,
        pixel_decoder=dict(norm_cfg=dict(type='GN', num_groups=8)),
        positional_encoding=dict(num_feats=feat_channels // 2),
        transformer_decoder=dict(
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=attention,
                cross_attn_cfg=attention,
                ffn_cfg=dict(
                    embed_dims=feat_channels,
                    feedforward_channels=4 * feat_channels))),
        text_classifier=dict(in_channels=feat_channels)),
    text_encoder=dict(
        model_name={{_base_.clip_model_name}},
        model_cfg={{_base_.clip_model_cfg}},
        pretrained=clip_weights,
        templates=clip_templates),
    clip_classifier=dict(
        model_name={{_base_.clip_model_name}},
        model_cfg={{_base_.clip_model_cfg}},
        pretrained=clip_weights),
    clip_templates=clip_templates,
    # No calibration, as the paper's ADE20K-Full setting (it uses 0.1 on
    # COCO-Stuff and VOC; docs/official_implementation.md). Chosen on the
    # tuning seed by fused hIoU (docs/synthetic_benchmark.md).
    calibration_gamma=0.0)
