# Copyright (c) mmzs3 contributors. All rights reserved.
"""Zero-shot splits and evaluation vocabularies, defined once, by name.

Every split is a :class:`ZeroShotSplit`: the full vocabulary in label-index
order, and the seen / unseen names. Datasets, the
:class:`~mmzs3.datasets.ZeroShotSegDataset` wrapper, the converters and the
metric all read these tuples; nothing else hard-codes a class list or an
index range.

Cross-dataset vocabularies (ADE-150, PASCAL Context-59, VOC-20 with
background) have no seen/unseen split of their own: every class counts as
seen. PASCAL Context-459 names are not shipped (no offline source of the
official list was available); give them with
``metainfo=dict(classes='path/to/pc459_names.txt')``.
"""
from typing import Dict, NamedTuple, Tuple

from mmseg.datasets import (ADE20KDataset, PascalContextDataset59,
                            PascalVOCDataset)

from .ade20k_full_847 import ADE20K_FULL_847_TABLE
from .coco_stuff_171 import COCO_STUFF_171_TABLE


class ZeroShotSplit(NamedTuple):
    """A vocabulary and its seen / unseen partition, by class name.

    Args:
        name (str): Key of the split in :data:`SPLITS`.
        classes (tuple[str]): Every class, in label-index order.
        seen_classes (tuple[str]): Classes whose names and pixels are used
            in training, in label-index order.
        unseen_classes (tuple[str]): Classes kept out of training.
    """
    name: str
    classes: Tuple[str, ...]
    seen_classes: Tuple[str, ...]
    unseen_classes: Tuple[str, ...]


def _from_table(name: str, table: tuple, split_col: int) -> ZeroShotSplit:
    """Build a split from rows whose ``split_col`` is seen / unseen."""
    classes = tuple(row[0] for row in table)
    seen = tuple(row[0] for row in table if row[split_col] == 'seen')
    unseen = tuple(row[0] for row in table if row[split_col] == 'unseen')
    return ZeroShotSplit(name, classes, seen, unseen)


def _all_seen(name: str, classes: Tuple[str, ...]) -> ZeroShotSplit:
    """A vocabulary without a zero-shot split (all classes seen)."""
    return ZeroShotSplit(name, tuple(classes), tuple(classes), ())


#: VOC-20 in VOC label order (ids 1..20); names as ZegFormer prompts them
#: (spec §6.2). Background is not a class.
VOC_20_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus',
                  'car', 'cat', 'chair', 'cow', 'diningtable', 'dog',
                  'horse', 'motorbike', 'person', 'potted plant', 'sheep',
                  'sofa', 'train', 'tvmonitor')

COCO_STUFF_171 = _from_table('coco_stuff_171', COCO_STUFF_171_TABLE, 2)
VOC_20 = ZeroShotSplit('voc_20', VOC_20_CLASSES, VOC_20_CLASSES[:15],
                       VOC_20_CLASSES[15:])
ADE20K_FULL_847 = _from_table('ade20k_full_847', ADE20K_FULL_847_TABLE, 3)
ADE20K_150 = _all_seen('ade20k_150', ADE20KDataset.METAINFO['classes'])
PASCAL_CONTEXT_59 = _all_seen('pascal_context_59',
                              PascalContextDataset59.METAINFO['classes'])
VOC_20_OPEN = _all_seen('voc_20_open', VOC_20_CLASSES)
VOC_20_BACKGROUND = _all_seen('voc_20_background',
                              PascalVOCDataset.METAINFO['classes'])

#: Every split, by name (the ``zs_split`` argument of the wrapper).
SPLITS: Dict[str, ZeroShotSplit] = {
    split.name: split
    for split in (COCO_STUFF_171, VOC_20, ADE20K_FULL_847, ADE20K_150,
                  PASCAL_CONTEXT_59, VOC_20_OPEN, VOC_20_BACKGROUND)
}


def get_split(name: str) -> ZeroShotSplit:
    """Return the split registered under ``name``.

    Args:
        name (str): One of the keys of :data:`SPLITS`.

    Returns:
        ZeroShotSplit: The split.
    """
    if name not in SPLITS:
        raise KeyError(f'Unknown zero-shot split {name!r}; known splits: '
                       f'{sorted(SPLITS)}. PASCAL Context-459 is not '
                       'shipped: pass its names as a file in metainfo.')
    return SPLITS[name]


__all__ = [
    'ZeroShotSplit', 'SPLITS', 'get_split', 'COCO_STUFF_171', 'VOC_20',
    'VOC_20_CLASSES', 'ADE20K_FULL_847', 'ADE20K_150', 'PASCAL_CONTEXT_59',
    'VOC_20_OPEN', 'VOC_20_BACKGROUND', 'COCO_STUFF_171_TABLE',
    'ADE20K_FULL_847_TABLE'
]
