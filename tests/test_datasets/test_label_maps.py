# Copyright (c) mmzs3 contributors. All rights reserved.
"""One label-map builder, 16-bit aware; the zero-shot wrapper uses it."""
import numpy as np

from mmzs3.datasets import (UINT8_IGNORE_INDEX, WIDE_IGNORE_INDEX,
                            ADE20KFull847Dataset, ZeroShotSegDataset,
                            apply_label_map, build_label_map)
from .test_zero_shot_dataset import LABELS, toy_cfg, write_dataset


def test_build_label_map_by_name():
    assert build_label_map(('a', 'b', 'c'), ('c', 'a')) == {
        0: 1, 1: UINT8_IGNORE_INDEX, 2: 0
    }
    assert build_label_map(('a', 'b'), ('b', ), ignore_index=7) == {
        0: 7, 1: 0
    }


def test_more_than_255_classes_drop_to_65535():
    names = tuple(f'class {i}' for i in range(300))
    label_map = build_label_map(names, names[255:257])
    assert label_map[255] == 0 and label_map[256] == 1
    assert label_map[0] == label_map[299] == WIDE_IGNORE_INDEX
    # 255 classes still fit in uint8 next to the ignore value 255
    assert build_label_map(names[:255], names[:1])[254] == 255


def test_ade847_label_map_is_the_same_builder():
    names = ADE20KFull847Dataset.METAINFO['classes']
    kept = (names[300], names[2])
    assert ADE20KFull847Dataset.get_label_map(kept) == build_label_map(
        names, kept, WIDE_IGNORE_INDEX)
    assert ADE20KFull847Dataset.get_label_map(names) is None


def test_apply_label_map_keeps_16_bit_values():
    label = np.array([[0, 300], [65535, 2]], np.uint16)
    mapped = apply_label_map(label, {0: 1, 300: 0, 2: 65535}, False, 65535)
    np.testing.assert_array_equal(mapped, [[1, 0], [65535, 65535]])
    assert mapped.dtype == np.int64


def test_zero_shot_wrapper_drops_to_the_datasets_ignore_index(tmp_path):
    """A config-named 16-bit dataset (ignore 65535, like PASCAL Context-459)
    sends unseen pixels to 65535, not to 255."""
    root = write_dataset(str(tmp_path), LABELS, dtype=np.uint16)
    cfg = toy_cfg(root, metainfo=dict(classes=('a', 'b', 'c', 'd')),
                  ignore_index=65535)
    cfg.update(type='BaseSegDataset', img_suffix='.png',
               seg_map_suffix='.png',
               pipeline=[dict(type='LoadWideSegAnnotations')])
    ds = ZeroShotSegDataset(cfg, seen_classes=('a', 'b', 'd'),
                            unseen_classes=('c', ))
    assert ds.dataset.label_map == {0: 0, 1: 1, 2: 65535, 3: 2}
    # LABELS[2]: a row of c (unseen) over a row of a
    np.testing.assert_array_equal(ds[2]['gt_seg_map'],
                                  [[65535] * 4, [0] * 4])
