# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import List

from mmseg.models.decode_heads import MaskFormerHead

from mmzs3.registry import MODELS
from mmzs3.utils.typing_utils import OptConfigType
from .head_config import mask_head_kwargs, with_head_defaults
from .head_defaults import NO_OBJECT_WEIGHT
from .open_vocabulary_head_mixin import OpenVocabularyHeadMixin


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

    A config written for mmseg's ``MaskFormerHead`` works after changing
    its ``type``: ``num_classes`` and ``loss_cls.class_weight`` are ignored
    with one warning (the vocabulary decides them), and every sub-config the
    head defaults (:mod:`~mmzs3.models.decode_heads.head_defaults`) may be
    partial: it is merged into the default.

    Args:
        in_channels (list[int]): Channels of the backbone levels.
            Defaults to ``[256, 512, 1024, 2048]``.
        feat_channels (int): Channels of the decoders. Defaults to 256.
        out_channels (int): Channels of the mask embeddings.
            Defaults to 256.
        num_queries (int): Number of queries. Defaults to 100.
        pixel_decoder (dict, optional): Pixel decoder config, merged into
            ``PIXEL_DECODER``. Defaults to None (the default).
        transformer_decoder (dict, optional): ``DetrTransformerDecoder``
            config, merged into ``TRANSFORMER_DECODER``. Defaults to None.
        positional_encoding (dict, optional): ``SinePositionalEncoding``
            config, merged into ``POSITIONAL_ENCODING``. Defaults to None.
        text_classifier (dict, optional): Segment classifier config, merged
            into ``TEXT_CLASSIFIER``; its ``in_channels`` defaults to
            ``feat_channels`` and the ``ZegFormer`` segmentor sets its
            ``text_dim`` to the text encoder's width. Defaults to None.
        loss_cls (dict, optional): Classification loss, merged into
            ``LOSS_CLS``; a ``class_weight`` is ignored. Defaults to None.
        loss_mask (dict, optional): Mask loss, merged into ``LOSS_MASK``.
            Defaults to None.
        loss_dice (dict, optional): Dice loss, merged into ``LOSS_DICE``.
            Defaults to None.
        no_object_weight (float): Cross-entropy weight of the no-object
            class. Defaults to ``NO_OBJECT_WEIGHT`` (0.1).
        train_cfg (dict, optional): Assigner and sampler, merged into
            ``TRAIN_CFG``. Defaults to None.
        **kwargs: Other arguments of mmseg's ``MaskFormerHead``
            (``ignore_index``, default 255; ``align_corners``, default False)
            and of mmdet's (``enforce_decoder_input_project``, ``test_cfg``,
            ``init_cfg``, ...); ``num_classes``, ``num_things_classes`` and
            ``num_stuff_classes`` are ignored with a warning, and the
            arguments of mmseg's per-pixel heads (``channels``,
            ``loss_decode``, ...) are an error.
    """

    #: Where the segmentor writes the text encoder's width.
    text_dim_path = ('text_classifier', 'text_dim')

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
                 no_object_weight: float = NO_OBJECT_WEIGHT,
                 train_cfg: OptConfigType = None,
                 **kwargs) -> None:
        sub_configs = with_head_defaults(
            dict(
                pixel_decoder=pixel_decoder,
                transformer_decoder=transformer_decoder,
                positional_encoding=positional_encoding,
                loss_mask=loss_mask,
                loss_dice=loss_dice,
                train_cfg=train_cfg))
        super().__init__(
            in_channels=list(in_channels),
            feat_channels=feat_channels,
            out_channels=out_channels,
            num_queries=num_queries,
            **sub_configs,
            **mask_head_kwargs(
                type(self).__name__, loss_cls, no_object_weight, kwargs))
        self._init_text_classifier(text_classifier, feat_channels,
                                   no_object_weight)
