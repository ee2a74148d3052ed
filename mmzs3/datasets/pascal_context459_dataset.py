# Copyright (c) mmzs3 contributors. All rights reserved.
from mmseg.datasets import BaseSegDataset

from mmzs3.registry import DATASETS
from .label_maps import WIDE_IGNORE_INDEX
from .splits import PASCAL_CONTEXT_459, PASCAL_CONTEXT_459_SYNONYMS

CLASS_NAME_VARIANTS = ('plain', 'synonyms')
#: Plain name -> synonym list.
SYNONYMS = dict(
    zip(PASCAL_CONTEXT_459.classes, PASCAL_CONTEXT_459_SYNONYMS.classes))


@DATASETS.register_module()
class PascalContext459Dataset(BaseSegDataset):
    """PASCAL Context with its full 459-class vocabulary (test only).

    Labels are 16-bit PNGs written by
    ``tools/dataset_converters/pascal_context_459.py``: values ``0..458`` in
    the order of :data:`mmzs3.datasets.splits.PASCAL_CONTEXT_459` (the
    release's source id minus one) and 65535 for unlabelled pixels. Load
    them with ``LoadWideSegAnnotations``.

    The class names are either the plain names of the release's
    ``labels.txt`` or the synonym lists that FC-CLIP and ODISE evaluate
    with (``'aeroplane, aeroplanes, airplanes, airplane'``; the text
    encoder encodes every synonym). Both variants name the same labels in
    the same order.

    Args:
        class_names (str): ``'plain'`` or ``'synonyms'``. Defaults to
            'plain'.
        img_suffix (str): Suffix of images. Defaults to '.jpg'.
        seg_map_suffix (str): Suffix of label maps. Defaults to '.png'
            (use '.tif' for labels prepared with detectron2-based
            projects' scripts).
        ignore_index (int): Ignored label value. Defaults to 65535.
        **kwargs: Arguments of :class:`mmseg.datasets.BaseSegDataset`.
    """
    METAINFO = dict(classes=PASCAL_CONTEXT_459.classes)

    def __init__(self,
                 class_names: str = 'plain',
                 img_suffix: str = '.jpg',
                 seg_map_suffix: str = '.png',
                 ignore_index: int = WIDE_IGNORE_INDEX,
                 **kwargs) -> None:
        if class_names not in CLASS_NAME_VARIANTS:
            raise ValueError(
                f'PascalContext459Dataset: class_names must be one of '
                f'{CLASS_NAME_VARIANTS}, got {class_names!r}')
        super().__init__(
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            ignore_index=ignore_index,
            **kwargs)
        if class_names == 'synonyms':
            # Same labels, other names: renamed after mmseg has built the
            # label map from the plain names (also for a subset of them).
            self._metainfo['classes'] = tuple(
                SYNONYMS[name] for name in self._metainfo['classes'])
