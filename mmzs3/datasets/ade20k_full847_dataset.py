# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import Dict, Optional, Sequence

from mmseg.datasets import BaseSegDataset

from mmzs3.registry import DATASETS
from .label_maps import WIDE_IGNORE_INDEX, build_label_map
from .splits import ADE20K_FULL_847


@DATASETS.register_module()
class ADE20KFull847Dataset(BaseSegDataset):
    """ADE20K-Full with MaskFormer's 847 classes (ZegFormer's benchmark).

    Labels are 16-bit PNGs written by
    ``tools/dataset_converters/ade20k_full_847.py``: values ``0..846`` in
    the order of :data:`mmzs3.datasets.splits.ADE20K_FULL_847` and 65535
    for ignored pixels. mmseg's ``LoadAnnotations`` casts labels to uint8,
    so pipelines must load them with ``LoadWideSegAnnotations``.

    Args:
        ignore_index (int): Ignored label value. Defaults to 65535.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`
            (images ``.jpg``, label maps ``.png`` by default).
    """
    METAINFO = dict(classes=ADE20K_FULL_847.classes)

    def __init__(self,
                 ignore_index: int = WIDE_IGNORE_INDEX,
                 **kwargs) -> None:
        super().__init__(ignore_index=ignore_index, **kwargs)

    @classmethod
    def get_label_map(
            cls,
            new_classes: Optional[Sequence] = None) -> Optional[Dict]:
        """Like mmseg's label map, but dropped classes go to 65535.

        mmseg maps removed classes to 255, which is a valid class index
        here.

        Args:
            new_classes (Sequence, optional): Class names to keep.
                Defaults to None.

        Returns:
            dict, optional: Old label index to new label index.
        """
        if super().get_label_map(new_classes) is None:
            return None  # mmseg checked the names: nothing to map
        return build_label_map(cls.METAINFO['classes'], new_classes,
                               WIDE_IGNORE_INDEX)
