# Copyright (c) mmzs3 contributors. All rights reserved.
from .pure_focal_loss import PureFocalLoss

__all__ = ['PureFocalLoss']
