# Copyright (c) mmzs3 contributors. All rights reserved.
import copy
import hashlib
import json
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmengine import fileio
from mmengine.dataset import BaseDataset, force_full_init

from mmzs3.registry import DATASETS
from mmzs3.utils import atomic_write, renamed_argument
from .label_maps import apply_label_map, build_label_map
from .splits import get_split

#: ``phase``: training (seen classes only) or testing (every class).
PHASES = ('train', 'test')
#: ``setting``: how a training set treats unseen classes.
SETTINGS = ('inductive', 'strict', 'transductive')


def contains_any(label: np.ndarray, class_ids: Sequence[int]) -> bool:
    """Whether a label map holds any of ``class_ids``.

    Args:
        label (np.ndarray): Label map, shape (H, W).
        class_ids (Sequence[int]): Label values to look for.

    Returns:
        bool: True if at least one pixel has one of the values.
    """
    return bool(np.isin(label, np.asarray(class_ids)).any())


@DATASETS.register_module()
class ZeroShotSegDataset:
    """Zero-shot view of any mmseg dataset (seen / unseen by class name).

    ``phase='train'`` builds the inner dataset with
    ``metainfo=dict(classes=seen_classes)``, so mmseg's label map sends
    unseen pixels to the ignore index (255, or 65535 for 16-bit datasets)
    and renumbers the seen classes; no relabelled copy is needed. Settings
    of a training set:

    - ``'inductive'`` (ZegFormer): images with unseen pixels are kept;
      unseen names are hidden (``unseen_classes`` is empty).
    - ``'strict'``: images that contain any unseen pixel are dropped. The
      label files are scanned once; ``scan_cache`` stores the result.
    - ``'transductive'``: like inductive, but ``unseen_classes`` carries
      the unseen names, e.g. for self-training with pseudo-labels.

    ``phase='test'`` keeps the full vocabulary. In every case the metainfo
    carries ``classes`` (the label vocabulary, in order), ``seen_classes``,
    ``unseen_classes``, ``class_split`` and ``setting`` (``'test'`` in the
    test phase).

    Args:
        dataset (dict | BaseDataset): Inner mmseg dataset or its config.
            An instance can only be used with ``phase='test'``.
        class_split (str, optional): Name of a seen/unseen class split in
            :data:`mmzs3.datasets.splits.SPLITS`. Defaults to None.
        seen_classes (Sequence[str], optional): Seen names, used when
            ``class_split`` is None. Defaults to None.
        unseen_classes (Sequence[str], optional): Unseen names, used when
            ``class_split`` is None. Defaults to None. Without
            ``class_split`` and ``seen_classes`` every class is seen.
        phase (str, optional): 'train' (seen classes only) or 'test'
            (every class). Defaults to None ('train').
        setting (str, optional): 'inductive', 'strict' or 'transductive'.
            Only used with ``phase='train'``. Defaults to None
            ('inductive').
        scan_cache (str, optional): JSON file caching the strict-setting
            scan. Defaults to None.
        lazy_init (bool): Defer loading the file list. Defaults to False.
        zs_split (str, optional): Deprecated name of ``class_split``.
        split (str, optional): Deprecated name of ``phase``.
        mode (str, optional): Deprecated name of ``setting``.
    """

    def __init__(self,
                 dataset: Union[dict, BaseDataset],
                 class_split: Optional[str] = None,
                 seen_classes: Optional[Sequence[str]] = None,
                 unseen_classes: Optional[Sequence[str]] = None,
                 phase: Optional[str] = None,
                 setting: Optional[str] = None,
                 scan_cache: Optional[str] = None,
                 lazy_init: bool = False,
                 zs_split: Optional[str] = None,
                 split: Optional[str] = None,
                 mode: Optional[str] = None) -> None:
        owner = 'ZeroShotSegDataset'
        class_split = renamed_argument(owner, 'zs_split', 'class_split',
                                       zs_split, class_split)
        phase = renamed_argument(owner, 'split', 'phase', split, phase,
                                 'train')
        setting = renamed_argument(owner, 'mode', 'setting', mode, setting,
                                   'inductive')
        if phase not in PHASES or setting not in SETTINGS:
            raise ValueError(f'ZeroShotSegDataset: phase must be one of '
                             f'{PHASES} and setting one of {SETTINGS}; got '
                             f'phase={phase!r}, setting={setting!r}.')
        self.phase, self.setting, self.scan_cache = phase, setting, scan_cache
        self.class_split = class_split
        self._label_classes: Optional[Tuple[str, ...]] = None
        self.seen_classes, self.unseen_classes = self._resolve_classes(
            class_split, seen_classes, unseen_classes)
        self.dataset = self._build_inner(dataset)
        if self.seen_classes is None:  # no split: every class is seen
            self.seen_classes = tuple(self.dataset.metainfo['classes'])
        self._check_vocabulary()
        self._metainfo = self._make_metainfo()
        self._keep: Optional[List[int]] = None
        self._fully_initialized = False
        if not lazy_init:
            self.full_init()

    @staticmethod
    def _resolve_classes(
        class_split: Optional[str], seen: Optional[Sequence[str]],
        unseen: Optional[Sequence[str]]
    ) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
        """Seen and unseen names from the named split or the arguments."""
        if class_split is not None:
            if seen is not None or unseen is not None:
                raise ValueError('ZeroShotSegDataset: give either class_split '
                                 'or seen_classes/unseen_classes, not both.')
            split = get_split(class_split)
            return split.seen_classes, split.unseen_classes
        if seen is None:
            if unseen:
                raise ValueError('ZeroShotSegDataset: unseen_classes '
                                 'without seen_classes.')
            return None, ()
        return tuple(seen), tuple(unseen or ())

    def _build_inner(self, dataset: Union[dict, BaseDataset]) -> BaseDataset:
        """Build the inner dataset, seen-only for training."""
        if not isinstance(dataset, dict):
            if self.phase == 'train':
                raise TypeError('ZeroShotSegDataset(phase="train") needs '
                                'the inner dataset as a config dict.')
            return dataset
        cfg = copy.deepcopy(dataset)
        cfg['lazy_init'] = True
        if self.phase != 'train' or self.seen_classes is None:
            return DATASETS.build(cfg)
        metainfo = dict(cfg.get('metainfo') or {})
        config_classes = metainfo.get('classes')
        metainfo['classes'] = self.seen_classes
        cfg['metainfo'] = metainfo
        inner = DATASETS.build(cfg)
        if not type(inner).METAINFO.get('classes') and config_classes:
            # mmseg builds no label map for classes named in the config
            # (it needs ``METAINFO['classes']``). Before ``full_init``,
            # which copies the map into every sample.
            inner.label_map = build_label_map(config_classes,
                                              self.seen_classes,
                                              inner.ignore_index)
            inner._metainfo['label_map'] = inner.label_map
            self._label_classes = tuple(config_classes)
        return inner

    def _check_vocabulary(self) -> None:
        """Seen and unseen names must partition the dataset's classes."""
        classes = tuple(self.dataset.metainfo['classes'])
        full = classes if self.phase == 'test' else self.label_classes
        overlap = set(self.seen_classes) & set(self.unseen_classes)
        missing = (set(self.seen_classes) | set(self.unseen_classes)) - set(
            full)
        if overlap or missing:
            raise ValueError(
                f'ZeroShotSegDataset around {type(self.dataset).__name__}: '
                f'seen/unseen overlap {sorted(overlap)}, names not in the '
                f'dataset {sorted(missing)}.')
        if self.phase == 'test':
            extra = set(full) - set(self.seen_classes) - set(
                self.unseen_classes)
            if extra:
                raise ValueError(f'ZeroShotSegDataset: test classes neither '
                                 f'seen nor unseen: {sorted(extra)}.')

    def _make_metainfo(self) -> dict:
        """Inner metainfo plus the zero-shot keys."""
        metainfo = copy.deepcopy(self.dataset.metainfo)
        hide_unseen = (self.phase == 'train'
                       and self.setting != 'transductive')
        metainfo.update(
            seen_classes=self.seen_classes,
            unseen_classes=() if hide_unseen else self.unseen_classes,
            class_split=self.class_split,
            setting=self.setting if self.phase == 'train' else 'test')
        return metainfo

    @property
    def label_classes(self) -> Tuple[str, ...]:
        """tuple[str]: Names of the label values in the files (the inner
        dataset's ``METAINFO`` classes, or those its config names)."""
        if self._label_classes is not None:
            return self._label_classes
        classes = self.dataset.metainfo['classes']
        return tuple(type(self.dataset).METAINFO.get('classes', classes))

    @property
    def metainfo(self) -> dict:
        """dict: A copy of the metainfo (with the zero-shot keys)."""
        return copy.deepcopy(self._metainfo)

    def full_init(self) -> None:
        """Load the inner file list and, in the strict setting, drop
        images."""
        if self._fully_initialized:
            return
        self.dataset.full_init()
        if self.phase == 'train' and self.setting == 'strict':
            self._keep = self._strict_indices()
        self._fully_initialized = True

    def _unseen_raw_ids(self) -> List[int]:
        """Label values (after ``reduce_zero_label``) of unseen classes."""
        full = self.label_classes
        return [full.index(name) for name in self.unseen_classes]

    def _strict_indices(self) -> List[int]:
        """Indices of images without unseen pixels (cached scan)."""
        paths = [
            self.dataset.get_data_info(i)['seg_map_path']
            for i in range(len(self.dataset))
        ]
        unseen_ids = self._unseen_raw_ids()
        key = hashlib.sha1(json.dumps([paths, unseen_ids]).encode())
        key = key.hexdigest()
        if self.scan_cache and osp.isfile(self.scan_cache):
            with open(self.scan_cache, encoding='utf-8') as f:
                cached = json.load(f)
            if cached.get('key') == key:
                return cached['keep']
        keep = [
            i for i, path in enumerate(paths)
            if not contains_any(self._read_raw(path), unseen_ids)
        ]
        if self.scan_cache:
            with atomic_write(self.scan_cache, 'w') as f:
                json.dump(dict(key=key, keep=keep), f)
        return keep

    def _read_raw(self, path: str) -> np.ndarray:
        """Read a label map in the full vocabulary's numbering."""
        label = mmcv.imfrombytes(
            fileio.get(path), flag='unchanged', backend='cv2')
        if label is None:
            raise OSError(f'ZeroShotSegDataset: cannot read label {path}')
        return apply_label_map(label.squeeze(), None,
                               self.dataset.reduce_zero_label,
                               self.dataset.ignore_index)

    def _inner_index(self, idx: int) -> int:
        """Map a wrapper index to an inner dataset index."""
        return idx if self._keep is None else self._keep[idx]

    @force_full_init
    def __len__(self) -> int:
        if self._keep is None:
            return len(self.dataset)
        return len(self._keep)

    @force_full_init
    def get_data_info(self, idx: int) -> dict:
        """Data info of the ``idx``-th kept image."""
        return self.dataset.get_data_info(self._inner_index(idx))

    @force_full_init
    def __getitem__(self, idx: int) -> dict:
        return self.dataset[self._inner_index(idx)]
