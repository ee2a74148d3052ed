# Copyright (c) mmzs3 contributors. All rights reserved.
from .deprecated_pure_focal_loss import deprecated_pure_focal_loss
from .pure_focal_loss import PureFocalLoss

__all__ = ['PureFocalLoss', 'deprecated_pure_focal_loss']
