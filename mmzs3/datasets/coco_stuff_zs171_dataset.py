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

    Arguments are those of :class:`mmseg.datasets.BaseSegDataset` (images
    ``.jpg``, label maps ``.png`` by default).
    """
    METAINFO = dict(classes=COCO_STUFF_171.classes)
