# Copyright (c) mmzs3 contributors. All rights reserved.
import math
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads.decode_head import BaseDecodeHead
from torch import Tensor

from mmzs3.registry import MODELS
from mmzs3.utils.typing_utils import ConfigType, OptConfigType, SampleList
from .head_config import merged_config
from .head_defaults import PIXEL_DECODER, PIXEL_LOSS_DECODE


@MODELS.register_module()
class PixelZeroShotHead(BaseDecodeHead):
    """Per-pixel zero-shot baseline ("SPNet-FPN") of `Decoupling Zero-Shot
    Semantic Segmentation <https://arxiv.org/abs/2112.07910>`_.

    ZegFormer's pixel decoder (mmdet's ``PixelDecoder``), a 1x1 conv into
    the text space (mmseg's ``conv_seg``, 256 -> 512), L2-normalisation and
    ``(1 / tau) * cos(pixel, class)`` against the class text embeddings;
    trained with softmax cross-entropy with ignore (mmseg's loss path).
    There is no no-object class.

    It plugs into the ``ZegFormer`` segmentor like the mask heads: every
    ``forward``/``loss``/``predict`` call takes the active vocabulary's
    class embeddings, and ``predict`` returns per-class probability maps
    at the input size, shape (B, K, H, W), which the segmentor calibrates
    with γ (its ``fusion_mode`` must be ``'seg'``).

    Args:
        in_channels (list[int]): Channels of the backbone levels.
            Defaults to ``[256, 512, 1024, 2048]``.
        feat_channels (int): Channels of the pixel decoder. Defaults to 256.
        text_dim (int): Dimension of the text embeddings; the ``ZegFormer``
            segmentor sets it to its text encoder's width. Defaults to 512.
        temperature (float): The temperature ``tau``. Defaults to 0.01.
        pixel_decoder (dict, optional): Pixel decoder config, merged into
            ``PIXEL_DECODER`` (ZegFormer's ``mmdet.PixelDecoder`` with
            GN(32)). Defaults to None.
        in_index (list[int]): Backbone levels used.
            Defaults to ``[0, 1, 2, 3]``.
        loss_decode (dict, optional): mmseg loss config, merged into
            ``PIXEL_LOSS_DECODE`` (mmseg's ``CrossEntropyLoss``, weight 1,
            averaged over the non-ignored pixels like ``F.cross_entropy``).
            Defaults to None.
        **kwargs: Other arguments of mmseg's ``BaseDecodeHead``
            (``ignore_index``, ``align_corners``, ``init_cfg``, ...).
    """

    #: Where the segmentor writes the text encoder's width.
    text_dim_path = ('text_dim', )

    def __init__(self,
                 in_channels: List[int] = (256, 512, 1024, 2048),
                 feat_channels: int = 256,
                 text_dim: int = 512,
                 temperature: float = 0.01,
                 pixel_decoder: OptConfigType = None,
                 in_index: List[int] = (0, 1, 2, 3),
                 loss_decode: OptConfigType = None,
                 **kwargs) -> None:
        super().__init__(
            in_channels=list(in_channels),
            channels=feat_channels,
            num_classes=1,
            out_channels=1,
            dropout_ratio=0.0,
            in_index=list(in_index),
            input_transform='multiple_select',
            loss_decode=merged_config(loss_decode, PIXEL_LOSS_DECODE),
            **kwargs)
        if temperature <= 0:
            raise ValueError('PixelZeroShotHead: temperature must be '
                             f'positive, got {temperature}')
        decoder = merged_config(pixel_decoder, PIXEL_DECODER)
        decoder.update(
            in_channels=list(in_channels),
            feat_channels=feat_channels,
            out_channels=feat_channels)
        self.pixel_decoder = MODELS.build(decoder)
        self.conv_seg = nn.Conv2d(feat_channels, text_dim, kernel_size=1)
        self.logit_scale = math.log(1.0 / temperature)

    def forward(self, inputs: Tuple[Tensor],
                class_embeddings: Tensor) -> Tensor:
        """Per-pixel class logits at the pixel decoder's stride.

        Args:
            inputs (tuple[Tensor]): Multi-level backbone features.
            class_embeddings (Tensor): L2-normalised class embeddings,
                shape (K, D).

        Returns:
            Tensor: Logits, shape (B, K, h, w).
        """
        feats = self._transform_inputs(inputs)
        mask_feature, _ = self.pixel_decoder(feats, None)
        pixels = F.normalize(self.cls_seg(mask_feature), dim=1)
        text = class_embeddings.to(pixels)
        return math.exp(self.logit_scale) * torch.einsum(
            'bdhw,kd->bkhw', pixels, text)

    def loss(self, inputs: Tuple[Tensor], class_embeddings: Tensor,
             batch_data_samples: SampleList,
             train_cfg: ConfigType) -> Dict[str, Tensor]:
        """Cross-entropy of the per-pixel logits (mmseg's loss path).

        Args:
            inputs (tuple[Tensor]): Backbone features of every level.
            class_embeddings (Tensor): Text embeddings (K, D) of the names
                of labels ``0..K-1``.
            batch_data_samples (list[SegDataSample]): Samples holding the
                label maps (``gt_sem_seg``).
            train_cfg (dict): Unused; mmseg's signature.

        Returns:
            dict[str, Tensor]: ``loss_ce`` and ``acc_seg``.
        """
        seg_logits = self.forward(inputs, class_embeddings)
        return self.loss_by_feat(seg_logits, batch_data_samples)

    def predict(self,
                inputs: Tuple[Tensor],
                class_embeddings: Tensor,
                batch_img_metas: List[dict],
                test_cfg: ConfigType,
                query_probs: Optional[Callable] = None) -> Tensor:
        """Per-class probability maps at the network input size.

        Args:
            inputs (tuple[Tensor]): Backbone features of every level.
            class_embeddings (Tensor): Text embeddings (K, D) of the
                vocabulary.
            batch_img_metas (list[dict]): Per-image meta information (the
                input size is read from the first).
            test_cfg (dict): Unused; mmseg's signature.
            query_probs (Callable, optional): The mask heads' per-query
                fusion; this head has no queries, so it must be None.

        Returns:
            Tensor: Softmax over the K classes, shape (B, K, H, W).
        """
        if query_probs is not None:
            raise ValueError(
                f'{type(self).__name__} predicts per-pixel logits and has '
                'no segments for the CLIP image branch; use '
                "fusion_mode='seg' in the ZegFormer config")
        seg_logits = self.forward(inputs, class_embeddings)
        return self.predict_by_feat(seg_logits, batch_img_metas).softmax(
            dim=1)
