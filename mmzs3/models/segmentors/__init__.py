# Copyright (c) mmzs3 contributors. All rights reserved.
from .zegformer import ZegFormer

__all__ = ['ZegFormer']
