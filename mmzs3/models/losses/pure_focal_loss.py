# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import Optional

import torch
from mmdet.models.losses import FocalLoss
from torch import Tensor

from mmzs3.registry import MMZS3_MODELS


def index_to_one_hot(target: Tensor, num_classes: int) -> Tensor:
    """One-hot targets of class indices, the background index dropped.

    The same values as ``F.one_hot(target, num_classes + 1)[:, :-1]``,
    which scatters into a column that is then thrown away; a comparison
    with the class range costs about an eighth of that on the CPU for the
    MaskFormer mask loss (one class, a row per pixel of every mask).

    Args:
        target (Tensor): Class indices in ``[0, num_classes]``
            (``num_classes`` means background), shape (N, ).
        num_classes (int): Number of classes C.

    Returns:
        Tensor: One-hot targets, int64, shape (N, C).
    """
    classes = torch.arange(num_classes, device=target.device)
    return (target.long().unsqueeze(1) == classes).long()


@MMZS3_MODELS.register_module()
class PureFocalLoss(FocalLoss):
    """mmdet's sigmoid `Focal Loss <https://arxiv.org/abs/1708.02002>`_,
    always computed in pure PyTorch.

    mmdet's ``FocalLoss`` dispatches to mmcv's compiled CUDA kernel
    (``mmcv.ops.sigmoid_focal_loss``) whenever the prediction is a CUDA
    tensor and the target holds class indices. A CPU-built mmcv has no such
    kernel, so training on a GPU would fail. mmdet takes its own pure-PyTorch
    path (``py_sigmoid_focal_loss``) when the target is already one-hot, so
    this wrapper only turns index targets into one-hot targets first; the
    numbers are the same as mmdet's (tests check this on the CPU).

    Configs name it ``type='mmzs3.PureFocalLoss'`` (it lives in mmzs3's
    own registry scope; inside an mmdet head a bare name would be looked up
    in mmdet's registry). Takes the same arguments as ``mmdet.FocalLoss``.
    """

    def forward(self,
                pred: Tensor,
                target: Tensor,
                weight: Optional[Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """Compute the loss.

        Args:
            pred (Tensor): Logits, shape (N, C).
            target (Tensor): Class indices in ``[0, C]`` (``C`` means
                background), shape (N, ), or one-hot targets, shape (N, C).
            weight (Tensor, optional): Per-sample weights. Defaults to None.
            avg_factor (float, optional): Normaliser of the summed loss.
                Defaults to None.
            reduction_override (str, optional): 'none', 'mean' or 'sum'.
                Defaults to None.

        Returns:
            Tensor: The loss.
        """
        if pred.dim() != target.dim():
            target = index_to_one_hot(target, pred.size(1))
        return super().forward(pred, target, weight, avg_factor,
                               reduction_override)
