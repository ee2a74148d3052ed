# Copyright (c) mmzs3 contributors. All rights reserved.
from .crops import (CLIP_MEAN, CLIP_STD, CROP_STYLES, extract_segment_crops,
                    fill_outside_mask, masks_to_boxes, renormalize,
                    unique_masks)
from .frozen_clip_tower import FrozenOpenCLIPTower
from .fusion import (FUSION_MODES, calibrate_seen, fuse_class_probs,
                     segment_class_probs, semantic_inference)
from .open_clip_utils import (build_open_clip, keep_part,
                              load_open_clip_weights, pretrained_quick_gelu,
                              read_clip_state_dict, register_open_clip_config,
                              resolve_pretrained)
from .query_selection import (binary_mask_iou, clip_query_ranks,
                              select_diverse_queries, share_clip_sources)

__all__ = [
    'CLIP_MEAN', 'CLIP_STD', 'CROP_STYLES', 'extract_segment_crops',
    'fill_outside_mask', 'masks_to_boxes', 'renormalize', 'unique_masks',
    'FrozenOpenCLIPTower', 'FUSION_MODES', 'calibrate_seen',
    'fuse_class_probs', 'segment_class_probs', 'semantic_inference',
    'build_open_clip', 'keep_part',
    'load_open_clip_weights', 'pretrained_quick_gelu', 'read_clip_state_dict',
    'register_open_clip_config', 'resolve_pretrained', 'binary_mask_iou',
    'clip_query_ranks', 'select_diverse_queries', 'share_clip_sources'
]
