# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import List

from mmseg.models.decode_heads import MaskFormerHead

from mmzs3.registry import MODELS
from mmzs3.utils.typing_utils import OptConfigType
from .open_vocabulary_head_mixin import (OpenVocabularyHeadMixin,
                                         build_text_classifier, config_copy,
                                         loss_cls_without_class_weight)

_ATTENTION = dict(
    embed_dims=256,
    num_heads=8,
    attn_drop=0.1,
    proj_drop=0.1,
    dropout_layer=None,
    batch_first=True)

#: Spec section 1.2: MaskFormer's FPN-like pixel decoder, 256 ch, GN(32).
PIXEL_DECODER = dict(
    type='mmdet.PixelDecoder',
    norm_cfg=dict(type='GN', num_groups=32),
    act_cfg=dict(type='ReLU'))
#: Spec section 1.3: DETR decoder on res5, 6 post-norm layers, 8 heads,
#: FFN 2048, dropout 0.1, outputs of every layer (deep supervision).
TRANSFORMER_DECODER = dict(
    return_intermediate=True,
    num_layers=6,
    layer_cfg=dict(
        self_attn_cfg=_ATTENTION,
        cross_attn_cfg=_ATTENTION,
        ffn_cfg=dict(
            embed_dims=256,
            feedforward_channels=2048,
            num_fcs=2,
            act_cfg=dict(type='ReLU', inplace=True),
            ffn_drop=0.1,
            dropout_layer=None,
            add_identity=True)),
    init_cfg=None)
#: Spec section 4: softmax CE over K + 1 logits, weight 1.
LOSS_CLS = dict(
    type='mmdet.CrossEntropyLoss',
    use_sigmoid=False,
    loss_weight=1.0,
    reduction='mean')
#: Spec section 4: sigmoid focal loss (alpha 0.25, gamma 2) x 20, through
#: the pure-PyTorch wrapper (mmdet's FocalLoss calls an mmcv CUDA kernel).
LOSS_MASK = dict(
    type='mmseg.PureFocalLoss',
    use_sigmoid=True,
    gamma=2.0,
    alpha=0.25,
    reduction='mean',
    loss_weight=20.0)
#: Spec section 4: dice ``1 - (2 x.t + 1) / (x + t + 1)``, weight 1.
LOSS_DICE = dict(
    type='mmdet.DiceLoss',
    use_sigmoid=True,
    activate=True,
    reduction='mean',
    naive_dice=True,
    eps=1.0,
    loss_weight=1.0)
#: Spec section 4: Hungarian matching with costs class 1, focal 20, dice 1.
TRAIN_CFG = dict(
    assigner=dict(
        type='mmdet.HungarianAssigner',
        match_costs=[
            dict(type='mmdet.ClassificationCost', weight=1.0),
            dict(type='mmdet.FocalLossCost', weight=20.0, binary_input=True),
            dict(type='mmdet.DiceCost', weight=1.0, pred_act=True, eps=1.0)
        ]),
    sampler=dict(type='mmdet.MaskPseudoSampler'))


@MODELS.register_module()
class ZegFormerHead(OpenVocabularyHeadMixin, MaskFormerHead):
    """Class-agnostic mask head of `ZegFormer
    <https://arxiv.org/abs/2112.07910>`_ with a text-embedding classifier.

    mmseg's ``MaskFormerHead`` (which wraps mmdet's) with its classification
    layer ``cls_embed`` replaced by a :class:`SegmentTextClassifier`; the
    pixel decoder, DETR transformer decoder, Hungarian assigner and losses
    are mmdet's, unchanged. ``forward``, ``loss`` and ``predict`` take the
    vocabulary's class embeddings, shape (K, D), and the number of classes
    follows them.

    ``predict`` returns per-class probability maps (B, K, H, W); its
    ``query_probs`` argument lets the segmentor fuse the per-query outputs
    with the CLIP branch first, and ``predict_queries`` gives those outputs:
    ``(cls_logits (B, Q, K + 1), mask_logits (B, Q, H, W))``.

    Args:
        in_channels (list[int]): Channels of the backbone levels.
            Defaults to ``[256, 512, 1024, 2048]``.
        feat_channels (int): Channels of the decoders. Defaults to 256.
        out_channels (int): Channels of the mask embeddings.
            Defaults to 256.
        num_queries (int): Number of queries. Defaults to 100.
        pixel_decoder (dict, optional): Pixel decoder config. Defaults to
            None (``PIXEL_DECODER``).
        transformer_decoder (dict, optional): ``DetrTransformerDecoder``
            config. Defaults to None (``TRANSFORMER_DECODER``).
        positional_encoding (dict, optional): ``SinePositionalEncoding``
            config. Defaults to None (128 features, normalised).
        text_classifier (dict, optional): Segment classifier config; its
            ``in_channels`` defaults to ``feat_channels``. Defaults to None
            (``SegmentTextClassifier`` with its defaults).
        loss_cls (dict, optional): Classification loss, without
            ``class_weight``. Defaults to None (``LOSS_CLS``).
        loss_mask (dict, optional): Mask loss. Defaults to None
            (``LOSS_MASK``).
        loss_dice (dict, optional): Dice loss. Defaults to None
            (``LOSS_DICE``).
        no_object_weight (float): Cross-entropy weight of the no-object
            class. Defaults to 0.1.
        train_cfg (dict, optional): Assigner and sampler. Defaults to None
            (``TRAIN_CFG``).
        ignore_index (int): Label ignored in the ground truth.
            Defaults to 255.
        align_corners (bool): Kept for mmseg's segmentor. Defaults to False.
        **kwargs: Other arguments of mmdet's ``MaskFormerHead``
            (``enforce_decoder_input_project``, ``test_cfg``,
            ``init_cfg``, ...).
    """

    def __init__(self,
                 in_channels: List[int] = (256, 512, 1024, 2048),
                 feat_channels: int = 256,
                 out_channels: int = 256,
                 num_queries: int = 100,
                 pixel_decoder: OptConfigType = None,
                 transformer_decoder: OptConfigType = None,
                 positional_encoding: OptConfigType = None,
                 text_classifier: OptConfigType = None,
                 loss_cls: OptConfigType = None,
                 loss_mask: OptConfigType = None,
                 loss_dice: OptConfigType = None,
                 no_object_weight: float = 0.1,
                 train_cfg: OptConfigType = None,
                 ignore_index: int = 255,
                 align_corners: bool = False,
                 **kwargs) -> None:
        loss_cls = loss_cls_without_class_weight(
            loss_cls or LOSS_CLS, type(self).__name__)
        loss_cls.class_weight = [no_object_weight]
        super().__init__(
            num_classes=0,
            align_corners=align_corners,
            ignore_index=ignore_index,
            in_channels=list(in_channels),
            feat_channels=feat_channels,
            out_channels=out_channels,
            num_things_classes=0,
            num_stuff_classes=0,
            num_queries=num_queries,
            pixel_decoder=config_copy(pixel_decoder, PIXEL_DECODER),
            transformer_decoder=config_copy(transformer_decoder,
                                     TRANSFORMER_DECODER),
            positional_encoding=config_copy(
                positional_encoding, dict(num_feats=128, normalize=True)),
            loss_cls=loss_cls,
            loss_mask=config_copy(loss_mask, LOSS_MASK),
            loss_dice=config_copy(loss_dice, LOSS_DICE),
            train_cfg=config_copy(train_cfg, TRAIN_CFG),
            **kwargs)
        self.no_object_weight = no_object_weight
        self.cls_embed = build_text_classifier(text_classifier,
                                               feat_channels)

