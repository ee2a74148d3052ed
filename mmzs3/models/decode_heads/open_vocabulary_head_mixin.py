# Copyright (c) mmzs3 contributors. All rights reserved.
"""Vocabulary, loss and prediction logic shared by the ZegFormer mask heads.

``ZegFormerHead`` (MaskFormer decoder) and ``ZegFormerMask2FormerHead``
(Mask2Former decoder) both wrap an mmdet head whose classification layer
``cls_embed`` is replaced by a :class:`SegmentTextClassifier`. mmdet sizes
its targets and class weights by ``self.num_classes``; here that number
follows the class embeddings each call is given instead of a constructor
argument.
"""
from contextlib import contextmanager
from typing import (Any, Callable, Dict, Iterator, List, Optional, Sequence,
                    Tuple, Union)

import torch
import torch.nn.functional as F
from mmseg.structures import SegDataSample
from mmseg.utils import seg_data_to_instance_data
from torch import Tensor

from mmzs3.utils.typing_utils import ConfigType, OptConfigType, SampleList
from ..utils import segment_class_probs, semantic_inference
from .head_config import build_text_classifier

#: ``query_probs(cls_logits, mask_logits) -> class probabilities``, shapes
#: (B, Q, K + 1), (B, Q, H, W) -> (B, Q, K).
QueryProbsType = Callable[[Tensor, Tensor], Tensor]


def head_input_size(img_meta: dict) -> Tuple[int, int]:
    """Size of the tensor the segmentor fed to the backbone.

    Follows mmseg's ``BaseDecodeHead.predict_by_feat``: sliding-window
    inference stores the crop size as a ``torch.Size`` in ``img_shape``;
    otherwise the padded batch size is ``pad_shape``.

    Args:
        img_meta (dict): Meta information of one image.

    Returns:
        tuple[int, int]: ``(H, W)`` of the network input.
    """
    if isinstance(img_meta['img_shape'], torch.Size):
        return tuple(img_meta['img_shape'])
    if 'pad_shape' in img_meta:
        return tuple(img_meta['pad_shape'][:2])
    return tuple(img_meta['img_shape'][:2])


def as_float32(outputs: Union[Tensor, Sequence[Tensor]]
               ) -> Union[Tensor, List[Tensor]]:
    """Per-layer head outputs in float32.

    Args:
        outputs (Tensor | Sequence[Tensor]): One tensor stacked over decoder
            layers (mmdet's MaskFormer head) or one tensor per layer (its
            Mask2Former head).

    Returns:
        Tensor | list[Tensor]: The same outputs, cast to float32.
    """
    if isinstance(outputs, Tensor):
        return outputs.float()
    return [output.float() for output in outputs]


class OpenVocabularyHeadMixin:
    """Methods shared by the mask heads with a text-embedding classifier.

    The host class must be an mmseg/mmdet mask head with ``cls_embed``
    (a ``SegmentTextClassifier``), ``loss_cls``, ``ignore_index`` and
    ``no_object_weight``. The vocabulary is an argument of every call
    (``class_embeddings``, shape (K, D)); the head keeps none between
    calls.
    """

    def _init_text_classifier(self, text_classifier: OptConfigType,
                              in_channels: int,
                              no_object_weight: float) -> None:
        """Replace mmdet's closed-set ``cls_embed`` by a segment classifier.

        Args:
            text_classifier (dict, optional): Classifier config, merged into
                ``TEXT_CLASSIFIER``.
            in_channels (int): Default for the classifier's
                ``in_channels``: the decoder's channels.
            no_object_weight (float): Cross-entropy weight of the
                no-object class.
        """
        self.no_object_weight = no_object_weight
        self.cls_embed = build_text_classifier(text_classifier, in_channels)

    @contextmanager
    def _vocabulary_bound(self, class_embeddings: Tensor) -> Iterator[None]:
        """Give mmdet's head code a vocabulary for the duration of a call.

        mmdet's MaskFormer and Mask2Former code takes no vocabulary
        argument: it classifies queries with ``self.cls_embed(x)``, labels
        unmatched queries ``self.num_classes`` (no-object) and weights the
        cross-entropy by ``self.class_weight`` and
        ``self.loss_cls.class_weight``. These are set here from
        ``class_embeddings`` (class weights ``[1.0] * K +
        [no_object_weight]``) and restored on exit, so that this unchanged
        library code sees the call's vocabulary and nothing outlives it.

        Args:
            class_embeddings (Tensor): L2-normalised class embeddings,
                shape (K, D).
        """
        num_classes = class_embeddings.shape[0]
        class_weight = [1.0] * num_classes + [self.no_object_weight]
        saved = (self.cls_embed.text_embeddings, self.num_classes,
                 self.class_weight, self.loss_cls.class_weight)
        self.cls_embed.text_embeddings = class_embeddings
        self.num_classes = num_classes
        self.class_weight = class_weight
        self.loss_cls.class_weight = class_weight
        try:
            yield
        finally:
            (self.cls_embed.text_embeddings, self.num_classes,
             self.class_weight, self.loss_cls.class_weight) = saved

    def _meta_samples(self, batch_img_metas: Sequence[dict]) -> SampleList:
        """Wrap metas into fresh samples for mmdet's ``forward``.

        mmdet's MaskFormer builds a padding mask from ``batch_input_shape``
        and ``img_shape``; setting both to ``img_shape`` gives an empty
        mask, which is the official model's behaviour (no padding mask).
        The callers' metainfo is left untouched.
        """
        return [
            SegDataSample(
                metainfo=dict(meta, batch_input_shape=meta['img_shape'][:2]))
            for meta in batch_img_metas
        ]

    def forward(self, x: Tuple[Tensor], class_embeddings: Tensor,
                batch_data_samples: SampleList) -> Tuple[Any, Any]:
        """Class and mask logits of every decoder layer.

        Args:
            x (tuple[Tensor]): Multi-level backbone features.
            class_embeddings (Tensor): L2-normalised class embeddings,
                shape (K, D).
            batch_data_samples (list[SegDataSample]): Samples with
                metainfo.

        Returns:
            tuple: Class logits of every layer, each (B, Q, K + 1), and
            mask logits of every layer, each (B, Q, h, w), as mmdet's head
            returns them (one stacked tensor or a list of tensors).
        """
        with self._vocabulary_bound(class_embeddings):
            return super().forward(x, batch_data_samples)

    def loss(self, x: Tuple[Tensor], class_embeddings: Tensor,
             batch_data_samples: SampleList,
             train_cfg: ConfigType) -> Dict[str, Tensor]:
        """Forward and compute the losses of every decoder layer.

        Args:
            x (tuple[Tensor]): Multi-level backbone features.
            class_embeddings (Tensor): L2-normalised class embeddings of
                the training vocabulary, shape (K, D); label ``i`` is
                class ``i``.
            batch_data_samples (list[SegDataSample]): Samples with
                ``gt_sem_seg``.
            train_cfg (dict): The segmentor's training config (unused).

        Returns:
            dict[str, Tensor]: ``loss_cls``, ``loss_mask``, ``loss_dice`` and
            ``d{i}.loss_*`` for the earlier decoder layers.
        """
        batch_gt_instances = seg_data_to_instance_data(
            self.ignore_index, batch_data_samples)
        batch_img_metas = [s.metainfo for s in batch_data_samples]
        with self._vocabulary_bound(class_embeddings):
            all_cls_scores, all_mask_preds = self(
                x, class_embeddings, self._meta_samples(batch_img_metas))
            # Matching and losses run in float32 outside autocast: mmdet's
            # mask FocalLossCost takes log(sigmoid(x) + 1e-12), the 1e-12
            # vanishes in float16, and a mask logit above about 8 then
            # makes the cost inf * 0 = NaN (seen in AMP training on a GPU).
            with torch.autocast(x[0].device.type, enabled=False):
                return self.loss_by_feat(
                    as_float32(all_cls_scores), as_float32(all_mask_preds),
                    batch_gt_instances, batch_img_metas)

    def predict(self,
                x: Tuple[Tensor],
                class_embeddings: Tensor,
                batch_img_metas: List[dict],
                test_cfg: ConfigType,
                query_probs: Optional[QueryProbsType] = None) -> Tensor:
        """Per-class probability maps at the network input size.

        ``sum_q P(q, c) * sigmoid(mask_q)`` over the queries ``q`` of the
        last decoder layer, with ``P`` the segment branch's softmax, or
        what ``query_probs`` makes of the per-query outputs (the
        segmentor's fusion with the CLIP image branch).

        Args:
            x (tuple[Tensor]): Multi-level backbone features.
            class_embeddings (Tensor): L2-normalised class embeddings,
                shape (K, D).
            batch_img_metas (list[dict]): Meta information of each image.
            test_cfg (dict): The segmentor's test config (unused).
            query_probs (Callable, optional): Maps class logits
                (B, Q, K + 1) and mask logits (B, Q, H, W) to class
                probabilities (B, Q, K). Defaults to None (the segment
                branch alone).

        Returns:
            Tensor: Class probability maps, shape (B, K, H, W).
        """
        cls_logits, mask_logits = self.predict_queries(
            x, class_embeddings, batch_img_metas)
        if query_probs is None:
            probs = segment_class_probs(cls_logits)
        else:
            probs = query_probs(cls_logits, mask_logits)
        return semantic_inference(probs, mask_logits)

    def predict_queries(self, x: Tuple[Tensor], class_embeddings: Tensor,
                        batch_img_metas: List[dict]) -> Tuple[Tensor, Tensor]:
        """Per-query outputs of the last decoder layer.

        Args:
            x (tuple[Tensor]): Multi-level backbone features.
            class_embeddings (Tensor): L2-normalised class embeddings,
                shape (K, D).
            batch_img_metas (list[dict]): Meta information of each image.

        Returns:
            tuple[Tensor, Tensor]: Class logits, shape (B, Q, K + 1), and
            mask logits at the network input size, shape (B, Q, H, W).
        """
        all_cls_scores, all_mask_preds = self(
            x, class_embeddings, self._meta_samples(batch_img_metas))
        return self.predict_by_feat(all_cls_scores, all_mask_preds,
                                    batch_img_metas)

    def predict_by_feat(self, all_cls_scores: Sequence[Tensor],
                        all_mask_preds: Sequence[Tensor],
                        batch_img_metas: List[dict]) -> Tuple[Tensor, Tensor]:
        """Take the last decoder layer and upsample its masks.

        Args:
            all_cls_scores (Tensor or list[Tensor]): Class logits of every
                decoder layer, each of shape (B, Q, K + 1).
            all_mask_preds (Tensor or list[Tensor]): Mask logits of every
                decoder layer, each of shape (B, Q, h, w).
            batch_img_metas (list[dict]): Meta information of each image.

        Returns:
            tuple[Tensor, Tensor]: Class logits (B, Q, K + 1) and mask
            logits (B, Q, H, W) at the network input size.
        """
        size = head_input_size(batch_img_metas[0])
        mask_logits = F.interpolate(
            all_mask_preds[-1], size=size, mode='bilinear',
            align_corners=False)
        return all_cls_scores[-1], mask_logits
