# Copyright (c) mmzs3 contributors. All rights reserved.
"""Image-level pretraining of a segmentation backbone on captioned images."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from mmengine.model import BaseModel
from torch import Tensor, nn

from mmzs3.registry import MODELS
from mmzs3.utils.typing_utils import ConfigType, OptConfigType, OptMultiConfig


def caption_labels(captions: Sequence[str],
                   class_names: Sequence[str]) -> List[int]:
    """The class each caption names, by the longest class name it contains.

    Longest match first, so that a caption naming ``'red star'`` is not
    read as a shorter name it contains.

    Args:
        captions (Sequence[str]): One caption per image.
        class_names (Sequence[str]): The vocabulary.

    Returns:
        list[int]: One index into ``class_names`` per caption.

    Raises:
        ValueError: If a caption names no class of the vocabulary.
    """
    order = sorted(range(len(class_names)),
                   key=lambda i: len(class_names[i]),
                   reverse=True)
    labels = []
    for caption in captions:
        text = f' {caption.lower().strip(".")} '
        found = [i for i in order if f' {class_names[i].lower()} ' in text]
        if not found:
            raise ValueError(f'caption "{caption}" names none of the '
                             f'{len(class_names)} classes')
        labels.append(found[0])
    return labels


@MODELS.register_module()
class ImageLevelPretrainModel(BaseModel):
    """A backbone with a linear classifier on its pooled last stage.

    The miniature's analogue of an ImageNet-pretrained backbone: trained
    with cross-entropy on image-level labels (the class each caption of an
    image-caption set names), so that it knows every concept at image level
    and none at pixel level. Its ``backbone.*`` weights then initialise a
    segmentor's backbone through mmengine's ``Pretrained`` initialiser with
    ``prefix='backbone.'``.

    Args:
        backbone (dict): Config of the backbone (e.g. mmseg's ``ResNetV1c``),
            returning a tuple of stage features, the last of shape
            (B, C, h, w).
        in_channels (int): Channels C of the last stage.
        class_names (Sequence[str]): The vocabulary the captions name.
        data_preprocessor (dict, optional): Normalises the (B, 3, H, W)
            images. Defaults to None.
        init_cfg (dict or list[dict], optional): Initialisation config.
            Defaults to None.
    """

    def __init__(self,
                 backbone: ConfigType,
                 in_channels: int,
                 class_names: Sequence[str],
                 data_preprocessor: OptConfigType = None,
                 init_cfg: OptMultiConfig = None) -> None:
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.class_names = list(class_names)
        self.head = nn.Linear(in_channels, len(self.class_names))

    def forward(self,
                inputs: Tensor,
                data_samples: Optional[Sequence[str]] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List[dict],
                                               Tensor]:
        """Run in mmengine's ``'loss'``, ``'predict'`` or ``'tensor'`` mode.

        Args:
            inputs (Tensor): Normalised images, shape (B, 3, H, W).
            data_samples (Sequence[str], optional): One caption per image.
                Defaults to None.
            mode (str): 'loss', 'predict' or 'tensor'. Defaults to 'tensor'.

        Returns:
            dict | list[dict] | Tensor: The loss dict, per-image predictions,
            or the class logits (B, K).
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.logits(inputs)
        raise ValueError(f'ImageLevelPretrainModel: invalid mode "{mode}"')

    def logits(self, inputs: Tensor) -> Tensor:
        """Class logits of the pooled last stage, shape (B, K)."""
        features = self.backbone(inputs)[-1]
        return self.head(features.mean(dim=(2, 3)))

    def loss(self, inputs: Tensor,
             data_samples: Sequence[str]) -> Dict[str, Tensor]:
        """Cross-entropy against the classes the captions name.

        Returns:
            dict[str, Tensor]: ``loss`` and the batch accuracy ``acc``
            (logged, not optimised).
        """
        logits = self.logits(inputs)
        labels = torch.tensor(
            caption_labels(data_samples, self.class_names),
            device=logits.device)
        acc = (logits.argmax(1) == labels).float().mean()
        return dict(loss=F.cross_entropy(logits, labels), acc=acc.detach())

    def predict(self, inputs: Tensor,
                data_samples: Sequence[str]) -> List[dict]:
        """Predicted and captioned class of each image.

        Returns:
            list[dict]: Per image, ``pred_label`` and ``gt_label`` (int).
        """
        preds = self.logits(inputs).argmax(1).tolist()
        labels = caption_labels(data_samples, self.class_names)
        return [
            dict(pred_label=p, gt_label=g) for p, g in zip(preds, labels)
        ]
