# Copyright (c) mmzs3 contributors. All rights reserved.
import warnings

from mmzs3.registry import MODELS
from .pure_focal_loss import PureFocalLoss


@MODELS.register_module(name='PureFocalLoss')
def deprecated_pure_focal_loss(**kwargs) -> PureFocalLoss:
    """The old config name ``'mmseg.PureFocalLoss'``, kept for one release.

    Builds :class:`PureFocalLoss` with a ``FutureWarning``; write
    ``type='mmzs3.PureFocalLoss'`` instead.

    Args:
        **kwargs: Arguments of :class:`PureFocalLoss`.

    Returns:
        PureFocalLoss: The loss.
    """
    warnings.warn(
        "type='mmseg.PureFocalLoss' is deprecated and will be removed in "
        "the next release; write type='mmzs3.PureFocalLoss'", FutureWarning)
    return PureFocalLoss(**kwargs)
