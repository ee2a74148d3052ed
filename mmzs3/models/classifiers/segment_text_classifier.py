# Copyright (c) mmzs3 contributors. All rights reserved.
import math
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor

from mmzs3.registry import MODELS
from mmzs3.utils.typing_utils import OptMultiConfig


@MODELS.register_module()
class SegmentTextClassifier(BaseModule):
    """Classify segment embeddings against class text embeddings.

    The segment classification layer of `Decoupling Zero-Shot Semantic
    Segmentation <https://arxiv.org/abs/2112.07910>`_. A query embedding is
    projected into the text space and L2-normalised; the logit of class ``k``
    is ``exp(logit_scale) * cos(segment, text_k)``. A learnable, never
    normalised no-object embedding gives the ``K + 1``-th logit,
    ``exp(logit_scale) * <segment / |segment|, bg_embed>``.

    Nothing is sized by a class count: the text embeddings of the current
    vocabulary are given through the plain attribute ``text_embeddings``
    (set by the head for the duration of each of its calls, never saved in
    checkpoints), so that mmdet's unchanged head code can call
    ``self.cls_embed(decoder_out)``.

    Args:
        in_channels (int): Channels of the query embeddings. Defaults to 256.
        text_dim (int): Dimension of the text embedding space.
            Defaults to 512.
        temperature (float): The temperature ``tau``; the logit scale is
            ``1 / tau``. Defaults to 0.01.
        learnable_temperature (bool): Whether ``logit_scale`` is trained.
            Defaults to False.
        init_cfg (dict or list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 in_channels: int = 256,
                 text_dim: int = 512,
                 temperature: float = 0.01,
                 learnable_temperature: bool = False,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if temperature <= 0:
            raise ValueError('SegmentTextClassifier: temperature must be '
                             f'positive, got {temperature}')
        self.projection = nn.Linear(in_channels, text_dim)
        self.bg_embed = nn.Parameter(torch.empty(1, text_dim))
        nn.init.kaiming_uniform_(self.bg_embed, a=math.sqrt(5))
        self.logit_scale = nn.Parameter(
            torch.tensor([math.log(1.0 / temperature)]),
            requires_grad=learnable_temperature)
        self.text_embeddings: Optional[Tensor] = None

    def forward(self, x: Tensor) -> Tensor:
        """Class logits of segment embeddings.

        Args:
            x (Tensor): Segment (query) embeddings, shape (..., C).

        Returns:
            Tensor: Logits, shape (..., K + 1); the last is no-object.
        """
        if self.text_embeddings is None:
            raise RuntimeError(
                'SegmentTextClassifier: text_embeddings is not set; call '
                'the head with the (K, D) class embeddings (its forward, '
                'loss or predict) instead of the classifier alone')
        seg = F.normalize(self.projection(x), dim=-1)
        text = self.text_embeddings.to(seg)
        classes = torch.cat([text, self.bg_embed.to(seg)], dim=0)
        return self.logit_scale.exp() * seg @ classes.t()
