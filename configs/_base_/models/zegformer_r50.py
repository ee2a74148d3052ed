# Copyright (c) mmzs3 contributors. All rights reserved.
# ZegFormer, ResNet-50 (official code): class-agnostic MaskFormer head
# whose segments are classified against CLIP ViT-B/16 text embeddings, plus
# the CLIP ViT-B/16 image branch fused at test time.
# Weights are local files, never downloaded (docs/train_test.md): OpenAI's
# ViT-B/16 file (QuickGELU, hence the '-quickgelu' open_clip architecture)
# and torchvision's ImageNet ResNet-50 V1 (as detectron2's R-50.pkl).
# custom_imports lives in default_runtime.py (a key may not repeat among
# the bases of one config).
data_preprocessor = dict(
    type='SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    # zero-pad (after normalisation) to a multiple of 32, also at test time
    size_divisor=32,
    test_cfg=dict(size_divisor=32))
model = dict(
    type='ZegFormer',
    data_preprocessor=data_preprocessor,
    # torchvision-style ResNet (stride on the 3x3 conv), frozen BN.
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        dilations=(1, 1, 1, 1),
        strides=(1, 2, 2, 2),
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        style='pytorch',
        contract_dilation=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='data/pretrained/resnet50-0676ba61.pth')),
    # MaskFormer head (GN pixel decoder, 6-layer post-norm DETR decoder,
    # Hungarian matching with costs class 1 / focal 20 / dice 1, the same
    # loss weights, no-object weight 0.1) with a CLIP-text segment
    # classifier, temperature 0.01: every sub-config the head leaves out
    # takes the official model's value from
    # mmzs3/models/decode_heads/head_defaults.py, and a partial one is
    # merged into it. text_dim is set from text_encoder by the segmentor.
    decode_head=dict(
        type='ZegFormerHead',
        in_channels=[256, 512, 1024, 2048],
        feat_channels=256,
        out_channels=256,
        num_queries=100,
        ignore_index=255),
    text_encoder=dict(
        type='OpenCLIPTextEncoder',
        model_name='ViT-B-16-quickgelu',
        pretrained='data/pretrained/ViT-B-16.pt',
        templates='imagenet_select'),
    clip_classifier=dict(
        type='CLIPSegmentClassifier',
        model_name='ViT-B-16-quickgelu',
        pretrained='data/pretrained/ViT-B-16.pt',
        crop_style='cropmask'),
    clip_templates='clip_select',
    fusion_mode='fused',
    lam=2 / 3,
    # Calibration: 0.1 for COCO-Stuff and VOC, 0.0 for ADE20K-Full, as in
    # the official evaluation (https://github.com/dingjiansw101/ZegFormer).
    calibration_gamma=0.0,
    train_cfg=dict(),
    test_cfg=dict(mode='whole'))
