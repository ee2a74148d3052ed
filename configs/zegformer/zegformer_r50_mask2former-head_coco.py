# Copyright (c) mmzs3 contributors. All rights reserved.
# ZegFormer with a Mask2Former decoder on COCO-Stuff 156/15: mmseg's
# Mask2Former R50 head (multi-scale deformable pixel decoder, 9 masked-
# attention layers, point-sampled CE/dice losses) whose class embedding is
# the ZegFormer segment-text classifier. Not an official ZegFormer setting.
# mmdet's MSDeformAttnPixelDecoder runs mmcv's compiled deformable
# attention on CUDA tensors: training on a GPU needs an mmcv built with
# CUDA ops (the pure-PyTorch path is used on the CPU only).
_base_ = './zegformer_r50_coco.py'
# Mask2Former's decoder attention has no dropout (mmcv's defaults).
attention = dict(embed_dims=256, num_heads=8, batch_first=True)
model = dict(
    decode_head=dict(
        _delete_=True,
        type='ZegFormerMask2FormerHead',
        in_channels=[256, 512, 1024, 2048],
        strides=[4, 8, 16, 32],
        feat_channels=256,
        out_channels=256,
        num_queries=100,
        num_transformer_feat_level=3,
        align_corners=False,
        ignore_index=255,
        pixel_decoder=dict(
            type='mmdet.MSDeformAttnPixelDecoder',
            num_outs=3,
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU'),
            encoder=dict(  # DeformableDetrTransformerEncoder
                num_layers=6,
                layer_cfg=dict(
                    self_attn_cfg=dict(  # MultiScaleDeformableAttention
                        embed_dims=256,
                        num_heads=8,
                        num_levels=3,
                        num_points=4,
                        im2col_step=64,
                        dropout=0.0,
                        batch_first=True,
                        norm_cfg=None,
                        init_cfg=None),
                    ffn_cfg=dict(
                        embed_dims=256,
                        feedforward_channels=1024,
                        num_fcs=2,
                        ffn_drop=0.0,
                        act_cfg=dict(type='ReLU', inplace=True))),
                init_cfg=None),
            positional_encoding=dict(num_feats=128, normalize=True),
            init_cfg=None),
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=128, normalize=True),
        transformer_decoder=dict(  # Mask2FormerTransformerDecoder
            return_intermediate=True,
            num_layers=9,
            layer_cfg=dict(
                self_attn_cfg=attention,
                cross_attn_cfg=attention,
                # mmcv's FFN defaults otherwise: 2 layers, ReLU, no dropout
                ffn_cfg=dict(embed_dims=256, feedforward_channels=2048)),
            init_cfg=None),
        # text_classifier and no_object_weight: ZegFormer's defaults.
        loss_cls=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=False,
            loss_weight=2.0,
            reduction='mean'),
        loss_mask=dict(
            type='mmdet.CrossEntropyLoss',
            use_sigmoid=True,
            reduction='mean',
            loss_weight=5.0),
        loss_dice=dict(
            type='mmdet.DiceLoss',
            use_sigmoid=True,
            activate=True,
            naive_dice=True,
            eps=1.0,
            loss_weight=5.0),
        train_cfg=dict(
            num_points=12544,
            oversample_ratio=3.0,
            importance_sample_ratio=0.75,
            assigner=dict(
                type='mmdet.HungarianAssigner',
                match_costs=[
                    dict(type='mmdet.ClassificationCost', weight=2.0),
                    dict(
                        type='mmdet.CrossEntropyLossCost',
                        weight=5.0,
                        use_sigmoid=True),
                    dict(
                        type='mmdet.DiceCost',
                        weight=5.0,
                        pred_act=True,
                        eps=1.0)
                ]),
            sampler=dict(type='mmdet.MaskPseudoSampler'))))
# Mask2Former's learnable query features and level embeddings: no decay.
no_decay = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys=dict(query_feat=no_decay, level_embed=no_decay)))
