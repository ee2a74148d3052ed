# Copyright (c) mmzs3 contributors. All rights reserved.
from mmseg.datasets import BaseSegDataset

from mmzs3.registry import DATASETS
from .label_maps import WIDE_IGNORE_INDEX


@DATASETS.register_module()
class PascalContext459Dataset(BaseSegDataset):
    """PASCAL Context with its full 459-class vocabulary (test only).

    mmzs3 does not ship the 459 class names (no offline source of the
    official list was available), so ``metainfo=dict(classes=...)`` must
    give them, as a tuple or as the path of a text file with one name per
    line. Labels are 16-bit maps with values ``0..458`` and 65535 for
    ignored pixels; load them with ``LoadWideSegAnnotations``.

    Args:
        seg_map_suffix (str): Suffix of label maps. Defaults to '.tif'.
        ignore_index (int): Ignored label value. Defaults to 65535.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`
            (images ``.jpg`` by default).
    """
    METAINFO: dict = dict()

    def __init__(self,
                 seg_map_suffix: str = '.tif',
                 ignore_index: int = WIDE_IGNORE_INDEX,
                 **kwargs) -> None:
        super().__init__(
            seg_map_suffix=seg_map_suffix, ignore_index=ignore_index, **kwargs)
        classes = self._metainfo.get('classes')
        if classes is None or len(classes) != 459:
            raise ValueError(
                'PascalContext459Dataset needs the 459 class names in '
                "metainfo['classes'] (a tuple or a text file); got "
                f'{None if classes is None else len(classes)} names.')
