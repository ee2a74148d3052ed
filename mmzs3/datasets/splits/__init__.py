# Copyright (c) mmzs3 contributors. All rights reserved.
"""Zero-shot splits and evaluation vocabularies, defined once, by name.

Every split is a :class:`ZeroShotSplit`: the full vocabulary in label-index
order, and the seen / unseen names. Datasets, the
:class:`~mmzs3.datasets.ZeroShotSegDataset` wrapper, the converters and the
metric all read these tuples; nothing else hard-codes a class list or an
index range.

Cross-dataset vocabularies (ADE-150, PASCAL Context-59 and -459, VOC-20
with background) have no seen/unseen split of their own: every class counts
as seen. PASCAL Context-459 comes with its plain names and with the synonym
lists of the open-vocabulary benchmark (``pascal_context_459_synonyms``).

Checkpoints carry the training vocabulary as mmengine's
``meta['dataset_meta']`` (``classes``, ``seen_classes``, ``unseen_classes``,
``class_split``): :meth:`ZeroShotSplit.dataset_meta` writes it and
:func:`checkpoint_vocabulary` reads it back (also the ``zs_split`` key of
older checkpoints).
"""
from typing import Dict, NamedTuple, Optional, Tuple

from mmseg.datasets import (ADE20KDataset, PascalContextDataset59,
                            PascalVOCDataset)

from .ade20k_full_847 import ADE20K_FULL_847_TABLE
from .coco_stuff_171 import COCO_STUFF_171_TABLE
from .pascal_context_459 import PASCAL_CONTEXT_459_TABLE


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

    def dataset_meta(self) -> dict:
        """The split as a checkpoint's ``meta['dataset_meta']``.

        Returns:
            dict: ``classes``, ``seen_classes`` and ``unseen_classes`` (lists
            of names) and ``class_split`` (the name of a split of
            :data:`SPLITS`, else None), the keys of a
            :class:`~mmzs3.datasets.ZeroShotSegDataset`'s metainfo.
        """
        return dict(
            classes=list(self.classes),
            seen_classes=list(self.seen_classes),
            unseen_classes=list(self.unseen_classes),
            class_split=self.name if self.name in SPLITS else None)


def _from_table(name: str, table: tuple, split_col: int) -> ZeroShotSplit:
    """Build a split from rows whose ``split_col`` is seen / unseen."""
    classes = tuple(row[0] for row in table)
    seen = tuple(row[0] for row in table if row[split_col] == 'seen')
    unseen = tuple(row[0] for row in table if row[split_col] == 'unseen')
    return ZeroShotSplit(name, classes, seen, unseen)


def _all_seen(name: str, classes: Tuple[str, ...]) -> ZeroShotSplit:
    """A vocabulary without a zero-shot split (all classes seen)."""
    return ZeroShotSplit(name, tuple(classes), tuple(classes), ())


#: VOC-20 in VOC label order (ids 1..20); names as ZegFormer prompts them.
#: Background is not a class.
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
PASCAL_CONTEXT_459 = _all_seen('pascal_context_459',
                               tuple(r[0] for r in PASCAL_CONTEXT_459_TABLE))
PASCAL_CONTEXT_459_SYNONYMS = _all_seen(
    'pascal_context_459_synonyms',
    tuple(r[1] for r in PASCAL_CONTEXT_459_TABLE))
VOC_20_OPEN = _all_seen('voc_20_open', VOC_20_CLASSES)
VOC_20_BACKGROUND = _all_seen('voc_20_background',
                              PascalVOCDataset.METAINFO['classes'])

#: Every split, by name (the ``class_split`` argument of the wrapper).
SPLITS: Dict[str, ZeroShotSplit] = {
    split.name: split
    for split in (COCO_STUFF_171, VOC_20, ADE20K_FULL_847, ADE20K_150,
                  PASCAL_CONTEXT_59, PASCAL_CONTEXT_459,
                  PASCAL_CONTEXT_459_SYNONYMS, VOC_20_OPEN, VOC_20_BACKGROUND)
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
                       f'{sorted(SPLITS)}')
    return SPLITS[name]


def checkpoint_vocabulary(
    dataset_meta: Optional[dict]
) -> Tuple[Optional[Tuple[str, ...]], Optional[Tuple[str, ...]]]:
    """The vocabulary and seen names a checkpoint's ``dataset_meta`` gives.

    ``dataset_meta`` is what mmengine's ``CheckpointHook`` stores (the train
    dataset's metainfo) or what ``tools/model_converters/zegformer2mmzs3.py``
    writes. A registered ``class_split`` (``zs_split`` in older checkpoints)
    gives the split's full vocabulary (a
    training set's metainfo hides the unseen names); otherwise ``classes``
    plus any ``unseen_classes`` form the vocabulary, and the seen names are
    ``seen_classes``, or without that key every class not unseen (the
    names a model was trained on).

    Args:
        dataset_meta (dict, optional): A checkpoint's
            ``meta['dataset_meta']``.

    Returns:
        tuple: The class names and the seen names, or (None, None) when the
        checkpoint names no classes.
    """
    meta = dataset_meta or {}
    split_name = meta.get('class_split', meta.get('zs_split'))
    if split_name in SPLITS:
        split = SPLITS[split_name]
        return split.classes, split.seen_classes
    if not meta.get('classes'):
        return None, None
    unseen = tuple(meta.get('unseen_classes') or ())
    classes = tuple(meta['classes'])
    classes += tuple(name for name in unseen if name not in classes)
    seen = meta.get('seen_classes')
    if seen is None:
        seen = [name for name in classes if name not in unseen]
    return classes, tuple(seen)


__all__ = [
    'ZeroShotSplit',
    'SPLITS',
    'get_split',
    'checkpoint_vocabulary',
    'COCO_STUFF_171',
    'VOC_20',
    'VOC_20_CLASSES',
    'ADE20K_FULL_847',
    'ADE20K_150',
    'PASCAL_CONTEXT_59',
    'PASCAL_CONTEXT_459',
    'PASCAL_CONTEXT_459_SYNONYMS',
    'VOC_20_OPEN',
    'VOC_20_BACKGROUND',
    'COCO_STUFF_171_TABLE',
    'ADE20K_FULL_847_TABLE',
    'PASCAL_CONTEXT_459_TABLE',
]
