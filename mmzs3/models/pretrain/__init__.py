# Copyright (c) mmzs3 contributors. All rights reserved.
from .clip_contrastive_model import CLIPContrastiveModel
from .open_clip_export import open_clip_state_dict, save_open_clip

__all__ = ['CLIPContrastiveModel', 'open_clip_state_dict', 'save_open_clip']
