# Copyright (c) mmzs3 contributors. All rights reserved.
from .clip_contrastive_model import CLIPContrastiveModel
from .open_clip_arch import (build_open_clip, build_open_clip_tokenizer,
                             register_open_clip_arch, resolve_open_clip_cfg)

__all__ = [
    'CLIPContrastiveModel', 'build_open_clip', 'build_open_clip_tokenizer',
    'register_open_clip_arch', 'resolve_open_clip_cfg'
]
