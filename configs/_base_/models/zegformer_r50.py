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
attention = dict(
    embed_dims=256,
    num_heads=8,
    attn_drop=0.1,
    proj_drop=0.1,
    dropout_layer=None,
    batch_first=True)
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
    decode_head=dict(
        type='ZegFormerHead',
        in_channels=[256, 512, 1024, 2048],
        feat_channels=256,
        out_channels=256,
        num_queries=100,
        pixel_decoder=dict(
            type='mmdet.PixelDecoder',
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU')),
        positional_encoding=dict(num_feats=128, normalize=True),
        transformer_decoder=dict(  # DetrTransformerDecoder, post-norm
            return_intermediate=True,
            num_layers=6,
            layer_cfg=dict(
                self_attn_cfg=attention,
                cross_attn_cfg=attention,
                ffn_cfg=dict(
                    embed_dims=256,
                    feedforward_channels=2048,
                    num_fcs=2,
                    act_cfg=dict(type='ReLU', inplace=True),
                    ffn_drop=0.1,
                    dropout_layer=None,
                    add_identity=True)),
            init_cfg=None),
        # text_dim: the text encoder's width, set by the ZegFormer segmentor
        text_classifier=dict(
            type='SegmentTextClassifier',
            in_channels=256,
            temperature=0.01,
            learnable_temperature=False),
        no_object_weight=0.1,
        loss_cls=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=1.0,
            reduction='mean'),
        # mmdet.FocalLoss would call mmcv's CUDA kernel on GPU tensors.
        loss_mask=dict(
            type='mmzs3.PureFocalLoss',
            use_sigmoid=True,
            gamma=2.0,
            alpha=0.25,
            reduction='mean',
            loss_weight=20.0),
        loss_dice=dict(
            type='mmdet.DiceLoss',
            use_sigmoid=True,
            activate=True,
            reduction='mean',
            naive_dice=True,
            eps=1.0,
            loss_weight=1.0),
        train_cfg=dict(
            assigner=dict(
                type='mmdet.HungarianAssigner',
                match_costs=[
                    dict(type='mmdet.ClassificationCost', weight=1.0),
                    dict(
                        type='mmdet.FocalLossCost',
                        weight=20.0,
                        binary_input=True),
                    dict(
                        type='mmdet.DiceCost',
                        weight=1.0,
                        pred_act=True,
                        eps=1.0)
                ]),
            sampler=dict(type='mmdet.MaskPseudoSampler')),
        ignore_index=255,
        align_corners=False),
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
