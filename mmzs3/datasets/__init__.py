# Copyright (c) mmzs3 contributors. All rights reserved.
from .ade20k_full847_dataset import ADE20KFull847Dataset
from .coco_stuff_zs171_dataset import COCOStuffZS171Dataset
from .image_caption_dataset import ImageCaptionDataset
from .label_maps import (UINT8_IGNORE_INDEX, WIDE_IGNORE_INDEX,
                         apply_label_map, build_label_map)
from .pascal_context459_dataset import PascalContext459Dataset
from .pascal_voc20_dataset import PascalVOC20Dataset
from .splits import SPLITS, ZeroShotSplit, get_split
from .synthetic_shapes_dataset import SyntheticShapesDataset
from .transforms import LoadWideSegAnnotations
from .zero_shot_dataset import ZeroShotSegDataset

__all__ = [
    'ADE20KFull847Dataset', 'COCOStuffZS171Dataset', 'PascalContext459Dataset',
    'PascalVOC20Dataset', 'ZeroShotSegDataset', 'LoadWideSegAnnotations',
    'apply_label_map', 'build_label_map', 'SPLITS', 'ZeroShotSplit',
    'get_split', 'UINT8_IGNORE_INDEX', 'WIDE_IGNORE_INDEX',
    'ImageCaptionDataset', 'SyntheticShapesDataset'
]
