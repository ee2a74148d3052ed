# Copyright (c) mmzs3 contributors. All rights reserved.
import logging
from contextlib import nullcontext
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import print_log
from mmengine.utils import to_2tuple
from torch import Tensor

from mmzs3.registry import MODELS
from ..utils.cpu_bf16 import cpu_has_native_bf16
from ..utils.crops import CROP_STYLES, extract_segment_crops, unique_masks
from ..utils.frozen_clip_tower import FrozenOpenCLIPTower

# Masked full-size images held at once while cutting crops: 8 x 3 x H x W
# floats (39 MB at 640 x 640), whatever ``chunk_size`` is.
MASKED_IMAGES_PER_CROP = 8
#: ``cpu_bf16`` settings: float32; bf16 autocast where the CPU computes
#: bf16 natively (else float32); bf16 autocast even where it is emulated.
CPU_BF16_MODES = ('off', 'auto', 'force')


@MODELS.register_module()
class CLIPSegmentClassifier(FrozenOpenCLIPTower):
    """Frozen open_clip image tower classifying segment crops (test time),
    the CLIP image branch of `Decoupling Zero-Shot Semantic Segmentation
    <https://arxiv.org/abs/2112.07910>`_.

    Each query mask is upsampled to the padded input size, binarised, turned
    into a crop (``crop_style``), encoded by CLIP's image tower and compared
    with text embeddings: ``logit_scale.exp() * cos(image, text)``.

    Peak memory is bounded: queries are upsampled and binarised
    ``chunk_size`` at a time (the boolean masks, Q x H x W bytes, are
    kept), crops are cut from at most ``MASKED_IMAGES_PER_CROP``
    masked images at a time (never a (Q, 3, H, W) stack), identical binary
    masks (e.g. all empty masks, whose crop is the whole-image box) are
    found on the device and encoded once, and on a GPU the tower runs under
    autocast (bf16 where supported, else fp16). Results equal the
    all-queries-at-once algorithm up to float rounding.

    On the CPU the tower runs in float32 unless ``cpu_bf16`` asks for bf16
    autocast (about 2x faster on CPUs with AVX512-BF16 or AMX, features
    within about 1 % of float32; see docs/benchmarks.md). float32 is the
    default: parity with the official implementation is measured in it.

    Args:
        model_name (str): open_clip architecture. Defaults to 'ViT-B-16'.
        pretrained (str, optional): Local weights file or open_clip tag,
            loaded in :meth:`init_weights`. Defaults to None (random).
        model_cfg (dict, optional): Architecture dict registered under
            ``model_name``. Defaults to None.
        crop_style (str): ``'cropmask'``, ``'mask'`` or ``'crop'``.
            Defaults to 'cropmask'.
        mask_threshold (float): Threshold on ``sigmoid(mask)``.
            Defaults to 0.5.
        chunk_size (int): Queries binarised and crops encoded per forward
            of the tower. Defaults to 32.
        amp (bool): Autocast the tower on CUDA (bf16 if supported, else
            fp16). Defaults to True.
        cpu_bf16 (str): The tower on the CPU: ``'off'`` (the weights'
            dtype), ``'auto'`` (bf16 autocast if the CPU has native bf16,
            else the weights' dtype and one log line) or ``'force'`` (bf16
            autocast even where emulated, which is slower; for
            measurements). Defaults to 'off'.
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 model_name: str = 'ViT-B-16',
                 pretrained: Optional[str] = None,
                 model_cfg: Optional[dict] = None,
                 crop_style: str = 'cropmask',
                 mask_threshold: float = 0.5,
                 chunk_size: int = 32,
                 amp: bool = True,
                 cpu_bf16: str = 'off',
                 init_cfg=None) -> None:
        if crop_style not in CROP_STYLES:
            raise ValueError(f'crop_style must be one of {CROP_STYLES}, '
                             f'got {crop_style!r}')
        if chunk_size < 1:
            raise ValueError(f'chunk_size must be >= 1, got {chunk_size}')
        if cpu_bf16 not in CPU_BF16_MODES:
            raise ValueError(f'cpu_bf16 must be one of {CPU_BF16_MODES}, '
                             f'got {cpu_bf16!r}')
        super().__init__('visual', model_name, pretrained, model_cfg,
                         init_cfg=init_cfg)
        self.crop_style = crop_style
        self.mask_threshold = mask_threshold
        self.chunk_size = chunk_size
        self.amp = amp
        self.cpu_bf16 = cpu_bf16
        self._cpu_bf16_native: Optional[bool] = None
        self.image_size: Tuple[int, int] = tuple(
            to_2tuple(self.model.visual.image_size))

    @torch.no_grad()
    def forward(self, clip_images: Tensor, mask_logits: Tensor,
                text_embeddings: Tensor) -> Tensor:
        """CLIP logits of every query's segment.

        Args:
            clip_images (Tensor): CLIP-normalised images at the padded input
                size, shape (B, 3, H, W).
            mask_logits (Tensor): Mask logits at any size, shape
                (B, Q, h, w).
            text_embeddings (Tensor): L2-normalised class embeddings, shape
                (K, D).

        Returns:
            Tensor: ``logit_scale.exp() * cos(segment, class)``, shape
            (B, Q, K).
        """
        features = torch.stack([
            self.encode_segments(image, masks)
            for image, masks in zip(clip_images, mask_logits)
        ])  # shape (B, Q, D)
        text = text_embeddings.to(features)
        return self.model.logit_scale.exp().float() * features @ text.t()

    def encode_segments(self, clip_image: Tensor,
                        mask_logits: Tensor) -> Tensor:
        """L2-normalised CLIP features of one image's segments.

        Args:
            clip_image (Tensor): CLIP-normalised image, shape (3, H, W).
            mask_logits (Tensor): Mask logits, shape (Q, h, w).

        Returns:
            Tensor: float32 features, shape (Q, D).
        """
        masks = torch.cat([
            self.binarize(chunk, clip_image.shape[-2:])
            for chunk in mask_logits.split(self.chunk_size)
        ])
        distinct, inverse = unique_masks(masks)
        features = torch.cat([
            self._encode_crops(self._crops(clip_image, chunk))
            for chunk in distinct.split(self.chunk_size)
        ])
        return F.normalize(features, dim=-1)[inverse]

    def _crops(self, clip_image: Tensor, masks: Tensor) -> Tensor:
        """CLIP inputs of masks, at most ``MASKED_IMAGES_PER_CROP`` masked
        full-size images at a time, shape (N, 3, S, S)."""
        return torch.cat([
            extract_segment_crops(clip_image, part, self.crop_style,
                                  self.image_size)
            for part in masks.split(MASKED_IMAGES_PER_CROP)
        ])

    def _encode_crops(self, crops: Tensor) -> Tensor:
        """Unnormalised float32 image features of crops, shape (N, D)."""
        crops = crops.to(self.model.logit_scale.dtype)
        with self._autocast(crops.device):
            return self.model.encode_image(crops).float()

    def _autocast(self, device: torch.device):
        """bf16/fp16 autocast on CUDA if ``amp``, bf16 autocast on the CPU
        as ``cpu_bf16`` says, else a no-op."""
        if device.type == 'cuda' and self.amp:
            dtype = (torch.bfloat16
                     if torch.cuda.is_bf16_supported() else torch.float16)
            return torch.autocast('cuda', dtype=dtype)
        if device.type == 'cpu' and self._use_cpu_bf16():
            return torch.autocast('cpu', dtype=torch.bfloat16)
        return nullcontext()

    def _use_cpu_bf16(self) -> bool:
        """Whether the tower runs under CPU bf16 autocast; with ``'auto'``
        the CPU is checked once, and a CPU without native bf16 is logged
        once."""
        if self.cpu_bf16 != 'auto':
            return self.cpu_bf16 == 'force'
        if self._cpu_bf16_native is None:
            self._cpu_bf16_native = cpu_has_native_bf16()
            if not self._cpu_bf16_native:
                print_log(
                    "CLIPSegmentClassifier: cpu_bf16='auto', but this CPU "
                    'has no native bf16 (AVX512-BF16, AMX or ARM BF16); '
                    'the CLIP image tower runs in float32',
                    logger='current', level=logging.WARNING)
        return self._cpu_bf16_native

    def binarize(self, mask_logits: Tensor, size: Tuple[int, int]) -> Tensor:
        """Upsample mask logits bilinearly and threshold their sigmoid.

        Args:
            mask_logits (Tensor): Mask logits, shape (Q, h, w).
            size (tuple[int, int]): Target (H, W).

        Returns:
            Tensor: Boolean masks, shape (Q, H, W).
        """
        upsampled = F.interpolate(
            mask_logits[None].float(),
            size=tuple(size),
            mode='bilinear',
            align_corners=False)[0]
        return upsampled.sigmoid() > self.mask_threshold
