# Copyright (c) mmzs3 contributors. All rights reserved.
from mmseg.models.decode_heads import Mask2FormerHead

from mmzs3.registry import MODELS
from mmzs3.utils.typing_utils import OptConfigType
from .head_config import mask_head_kwargs
from .head_defaults import NO_OBJECT_WEIGHT
from .open_vocabulary_head_mixin import OpenVocabularyHeadMixin


@MODELS.register_module()
class ZegFormerMask2FormerHead(OpenVocabularyHeadMixin, Mask2FormerHead):
    """ZegFormer's decoupled head on the `Mask2Former
    <https://arxiv.org/abs/2112.01527>`_ masked-attention decoder.

    The decoder swap of :class:`ZegFormerHead`: mmseg's ``Mask2FormerHead``
    (which wraps mmdet's) with ``cls_embed`` replaced by a
    :class:`SegmentTextClassifier`. mmdet's ``_forward_head`` calls
    ``self.cls_embed(decoder_out)`` after every decoder layer, so replacing
    the module is the whole change; vocabulary handling, losses and
    per-query prediction come from :class:`OpenVocabularyHeadMixin`.

    Note that mmdet's ``MSDeformAttnPixelDecoder`` runs mmcv's compiled
    deformable-attention kernel on CUDA tensors (its pure-PyTorch fallback
    is only used on the CPU), so training this head on a GPU needs an mmcv
    built with CUDA ops. Its losses (``CrossEntropyLoss`` on point samples,
    ``DiceLoss``) are pure PyTorch.

    A config written for mmseg's ``Mask2FormerHead`` works after changing
    its ``type``: ``num_classes`` and ``loss_cls.class_weight`` are ignored
    with one warning (the vocabulary decides them).

    Args:
        feat_channels (int): Channels of the decoders.
        loss_cls (dict, optional): Classification loss, merged into
            ``LOSS_CLS``; a ``class_weight`` is ignored. Defaults to None.
        text_classifier (dict, optional): Segment classifier config, merged
            into ``TEXT_CLASSIFIER``; its ``in_channels`` defaults to
            ``feat_channels`` and the ``ZegFormer`` segmentor sets its
            ``text_dim`` to the text encoder's width. Defaults to None.
        no_object_weight (float): Cross-entropy weight of the no-object
            class. Defaults to ``NO_OBJECT_WEIGHT`` (0.1).
        **kwargs: The arguments of mmseg's ``Mask2FormerHead``
            (``ignore_index``, default 255; ``align_corners``, default False)
            and the structural ones of mmdet's
            (``in_channels``, ``out_channels``, ``num_queries``,
            ``num_transformer_feat_level``, ``pixel_decoder``,
            ``transformer_decoder``, ``positional_encoding``,
            ``loss_mask``, ``loss_dice``, ``train_cfg``, ...), as in mmseg's
            Mask2Former configs; ``num_classes``, ``num_things_classes``
            and ``num_stuff_classes`` are ignored with a warning, and the
            arguments of mmseg's per-pixel heads (``channels``,
            ``loss_decode``, ...) are an error.
    """

    #: Where the segmentor writes the text encoder's width.
    text_dim_path = ('text_classifier', 'text_dim')

    def __init__(self,
                 feat_channels: int,
                 loss_cls: OptConfigType = None,
                 text_classifier: OptConfigType = None,
                 no_object_weight: float = NO_OBJECT_WEIGHT,
                 **kwargs) -> None:
        super().__init__(
            feat_channels=feat_channels,
            **mask_head_kwargs(
                type(self).__name__, loss_cls, no_object_weight, kwargs))
        self._init_text_classifier(text_classifier, feat_channels,
                                   no_object_weight)
