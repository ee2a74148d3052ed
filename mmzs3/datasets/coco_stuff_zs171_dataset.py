# Copyright (c) mmzs3 contributors. All rights reserved.
from mmseg.datasets import BaseSegDataset

from mmzs3.registry import DATASETS
from .splits import COCO_STUFF_171


@DATASETS.register_module()
class COCOStuffZS171Dataset(BaseSegDataset):
    """COCO-Stuff 164k in ZegFormer's 171-way evaluation order.

    Labels are the PNGs written by
    ``tools/dataset_converters/coco_stuff164k_zs.py``: values ``0..170`` in
    the order of :data:`mmzs3.datasets.splits.COCO_STUFF_171` (156 seen
    classes, then 15 unseen; not mmseg's ``COCOStuffDataset`` order) and
    255 for ignored pixels. ``reduce_zero_label`` is False.

    Args:
        img_suffix (str): Suffix of images. Defaults to '.jpg'.
        seg_map_suffix (str): Suffix of label maps. Defaults to '.png'.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = dict(classes=COCO_STUFF_171.classes)

    def __init__(self,
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 **kwargs) -> None:
        super().__init__(
            img_suffix=img_suffix, seg_map_suffix=seg_map_suffix, **kwargs)
