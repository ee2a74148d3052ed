# Copyright (c) mmzs3 contributors. All rights reserved.
from mmseg.datasets import BaseSegDataset

from mmzs3.registry import DATASETS
from .splits import VOC_20_CLASSES


@DATASETS.register_module()
class PascalVOC20Dataset(BaseSegDataset):
    """PASCAL VOC 2012 with 20 object classes and no background class.

    Reads standard VOC label PNGs (0 background, 1..20 objects, 255
    boundary). ``reduce_zero_label=True`` sends background to 255 and
    shifts the objects to ``0..19``, so background is ignored in training
    and evaluation, as in ZegFormer (docs/official_implementation.md). For
    the 21-way vocabulary with background use mmseg's ``PascalVOCDataset``.

    Args:
        ann_file (str): Text file listing image names (no suffix).
        reduce_zero_label (bool): Ignore background. Defaults to True.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`
            (images ``.jpg``, label maps ``.png`` by default).
    """
    METAINFO = dict(classes=VOC_20_CLASSES)

    def __init__(self,
                 ann_file: str,
                 reduce_zero_label: bool = True,
                 **kwargs) -> None:
        super().__init__(
            ann_file=ann_file, reduce_zero_label=reduce_zero_label, **kwargs)
