# Copyright (c) mmzs3 contributors. All rights reserved.
"""Default sub-configs of the ZegFormer heads, in one place.

The values of the ResNet-50 model of `ZegFormer
<https://arxiv.org/abs/2112.07910>`_ as in the official code
(https://github.com/dingjiansw101/ZegFormer). A head given a partial
sub-config merges it into these defaults
(:func:`~mmzs3.models.decode_heads.head_config.merged_config`).
``SegmentTextClassifier``'s ``text_dim`` is absent on purpose: the
``ZegFormer`` segmentor fills in its text encoder's embedding width.
"""

#: Multi-head attention of the decoder layers: 256 channels, 8 heads,
#: dropout 0.1.
_ATTENTION = dict(
    embed_dims=256, num_heads=8, attn_drop=0.1, proj_drop=0.1,
    dropout_layer=None, batch_first=True)

#: MaskFormer's FPN-like pixel decoder, 256 channels, GN(32).
PIXEL_DECODER = dict(
    type='mmdet.PixelDecoder',
    norm_cfg=dict(type='GN', num_groups=32),
    act_cfg=dict(type='ReLU'))
#: DETR decoder on res5: 6 post-norm layers, 8 heads, FFN 2048, dropout
#: 0.1, outputs of every layer (deep supervision).
TRANSFORMER_DECODER = dict(
    return_intermediate=True,
    num_layers=6,
    layer_cfg=dict(
        self_attn_cfg=dict(_ATTENTION),
        cross_attn_cfg=dict(_ATTENTION),
        ffn_cfg=dict(
            embed_dims=256,
            feedforward_channels=2048,
            num_fcs=2,
            act_cfg=dict(type='ReLU', inplace=True),
            ffn_drop=0.1,
            dropout_layer=None,
            add_identity=True)),
    init_cfg=None)
#: Sine positional encoding of the decoder's memory, 128 features a side.
POSITIONAL_ENCODING = dict(num_feats=128, normalize=True)
#: Segment classifier against the class text embeddings, ``tau`` 0.01.
TEXT_CLASSIFIER = dict(
    type='SegmentTextClassifier',
    temperature=0.01,
    learnable_temperature=False)
#: Cross-entropy weight of the no-object class.
NO_OBJECT_WEIGHT = 0.1
#: Softmax cross-entropy over ``K + 1`` logits, weight 1 (class weights
#: follow the vocabulary).
LOSS_CLS = dict(
    type='mmdet.CrossEntropyLoss',
    use_sigmoid=False,
    loss_weight=1.0,
    reduction='mean')
#: Sigmoid focal loss (alpha 0.25, gamma 2) x 20, through the pure-PyTorch
#: wrapper (mmdet's ``FocalLoss`` calls an mmcv CUDA kernel).
LOSS_MASK = dict(
    type='mmzs3.PureFocalLoss',
    use_sigmoid=True,
    gamma=2.0,
    alpha=0.25,
    reduction='mean',
    loss_weight=20.0)
#: Dice ``1 - (2 x.t + 1) / (x + t + 1)``, weight 1.
LOSS_DICE = dict(
    type='mmdet.DiceLoss',
    use_sigmoid=True,
    activate=True,
    reduction='mean',
    naive_dice=True,
    eps=1.0,
    loss_weight=1.0)
#: Hungarian matching with costs class 1, focal 20, dice 1.
TRAIN_CFG = dict(
    assigner=dict(
        type='mmdet.HungarianAssigner',
        match_costs=[
            dict(type='mmdet.ClassificationCost', weight=1.0),
            dict(type='mmdet.FocalLossCost', weight=20.0, binary_input=True),
            dict(type='mmdet.DiceCost', weight=1.0, pred_act=True, eps=1.0)
        ]),
    sampler=dict(type='mmdet.MaskPseudoSampler'))
#: ``ZegFormerHead``'s sub-configs and their defaults.
MASK_HEAD_DEFAULTS = dict(
    pixel_decoder=PIXEL_DECODER,
    transformer_decoder=TRANSFORMER_DECODER,
    positional_encoding=POSITIONAL_ENCODING,
    loss_cls=LOSS_CLS,
    loss_mask=LOSS_MASK,
    loss_dice=LOSS_DICE,
    train_cfg=TRAIN_CFG)
#: The per-pixel baseline's loss: mmseg's softmax cross-entropy, weight 1,
#: averaged over the non-ignored pixels like ``F.cross_entropy``.
PIXEL_LOSS_DECODE = dict(
    type='CrossEntropyLoss',
    use_sigmoid=False,
    avg_non_ignore=True,
    loss_weight=1.0)
