# Copyright (c) mmzs3 contributors. All rights reserved.
from .pixel_zero_shot_head import PixelZeroShotHead
from .zegformer_head import ZegFormerHead
from .zegformer_mask2former_head import ZegFormerMask2FormerHead

__all__ = ['PixelZeroShotHead', 'ZegFormerHead', 'ZegFormerMask2FormerHead']
