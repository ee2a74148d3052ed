# Copyright (c) mmzs3 contributors. All rights reserved.
from .clip_contrastive_model import CLIPContrastiveModel
from .image_level_pretrain_model import ImageLevelPretrainModel, caption_labels
from .open_clip_export import open_clip_state_dict, save_open_clip

__all__ = [
    'CLIPContrastiveModel', 'ImageLevelPretrainModel', 'caption_labels',
    'open_clip_state_dict', 'save_open_clip']
