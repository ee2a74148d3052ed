# Copyright (c) mmzs3 contributors. All rights reserved.
from .zegformer_head import ZegFormerHead

__all__ = ['ZegFormerHead']
