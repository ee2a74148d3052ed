# Copyright (c) mmzs3 contributors. All rights reserved.
"""Contrastive image-text pretraining of an open_clip model."""
from typing import Dict, List, Optional, Sequence, Union

import open_clip
import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.model import BaseModel

from mmzs3.registry import MODELS
from mmzs3.utils.typing_utils import OptConfigType, OptMultiConfig
from ..utils.open_clip_utils import build_open_clip


@MODELS.register_module()
class CLIPContrastiveModel(BaseModel):
    """An open_clip model trained with open_clip's ``ClipLoss``.

    `Learning Transferable Visual Models From Natural Language Supervision
    <https://arxiv.org/abs/2103.00020>`_. mmzs3 uses it to pretrain the tiny
    CLIP of the synthetic benchmark on its image-caption set, so that the
    CLIP branch of ZegFormer can be run without downloaded weights. The
    model is ``self.clip``, a plain open_clip model, so that
    ``self.clip.state_dict()`` is an open_clip checkpoint
    (``tools/misc/export_open_clip.py`` writes it out).

    Args:
        model_name (str): open_clip architecture name; also the name the
            exported checkpoint is registered under.
            Defaults to 'mmzs3-tiny-clip'.
        model_cfg (dict, optional): The architecture in open_clip's JSON
            layout, registered in open_clip under ``model_name``; when None,
            open_clip's registered ``model_name`` is used. Defaults to None.
        data_preprocessor (dict, optional): Normalises the
            ``(B, 3, H, W)`` images, e.g. an ``ImgDataPreprocessor`` with
            CLIP's mean and std. Defaults to None.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 model_name: str = 'mmzs3-tiny-clip',
                 model_cfg: Optional[dict] = None,
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.model_name = model_name
        self.clip = build_open_clip(model_name, model_cfg)
        self.tokenizer = open_clip.get_tokenizer(model_name)
        # Gathers features over processes in distributed training.
        self.loss_fn = open_clip.ClipLoss(
            rank=get_rank(), world_size=get_world_size())

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[Sequence[str]] = None,
                mode: str = 'tensor') -> Union[Dict[str, torch.Tensor],
                                               List[dict], torch.Tensor]:
        """Run in mmengine's ``'loss'``, ``'predict'`` or ``'tensor'`` mode.

        Args:
            inputs (torch.Tensor): Normalised images, shape (B, 3, H, W).
            data_samples (Sequence[str], optional): One caption per image.
                Defaults to None.
            mode (str): 'loss', 'predict' or 'tensor'. Defaults to 'tensor'.

        Returns:
            dict | list[dict] | torch.Tensor: The loss dict, per-image
            predictions, or the normalised image embeddings (B, D).
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.clip.encode_image(inputs, normalize=True)
        raise ValueError(f'CLIPContrastiveModel: invalid mode "{mode}"')

    def encode_captions(self, captions: Sequence[str]) -> torch.Tensor:
        """Normalised text embeddings of ``captions``, shape (N, D)."""
        tokens = self.tokenizer(list(captions))
        device = self.clip.logit_scale.device
        return self.clip.encode_text(tokens.to(device), normalize=True)

    def loss(self, inputs: torch.Tensor,
             data_samples: Sequence[str]) -> Dict[str, torch.Tensor]:
        """The symmetric contrastive loss of matching images and captions.

        Returns:
            dict[str, torch.Tensor]: ``loss`` and the ``logit_scale``
            (inverse temperature, logged, not optimised through the dict).
        """
        image_features = self.clip.encode_image(inputs, normalize=True)
        text_features = self.encode_captions(data_samples)
        logit_scale = self.clip.logit_scale.exp()
        loss = self.loss_fn(image_features, text_features, logit_scale)
        return dict(loss=loss, logit_scale=logit_scale.detach())

    def predict(self, inputs: torch.Tensor,
                data_samples: Sequence[str]) -> List[dict]:
        """Image-caption similarity of each image with its own caption.

        Returns:
            list[dict]: Per image, ``image_embeds`` (D,) and ``similarity``
            (cosine similarity with its caption).
        """
        image_features = self.clip.encode_image(inputs, normalize=True)
        text_features = self.encode_captions(data_samples)
        similarity = (image_features * text_features).sum(-1)
        return [
            dict(image_embeds=embeds, similarity=sim)
            for embeds, sim in zip(image_features, similarity)
        ]
