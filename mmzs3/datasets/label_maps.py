# Copyright (c) mmzs3 contributors. All rights reserved.
"""Label maps: building one from class names, and applying one.

mmseg builds a dataset's label map (``BaseSegDataset.get_label_map``) only
against the class attribute ``METAINFO['classes']`` and always sends
dropped classes to 255, a valid class index in 16-bit label files; its
``LoadAnnotations`` applies the map on a uint8 copy. These two functions
are the 16-bit-aware versions every mmzs3 dataset, transform and tool uses.
"""
from typing import Dict, Optional, Sequence

import numpy as np

#: Ignore value of 8-bit label maps (mmseg's).
UINT8_IGNORE_INDEX = 255
#: Ignore value of 16-bit label maps (more than 255 classes).
WIDE_IGNORE_INDEX = 65535


def build_label_map(classes: Sequence[str],
                    new_classes: Sequence[str],
                    ignore_index: Optional[int] = None) -> Dict[int, int]:
    """Label map from one vocabulary to another, by class name.

    Args:
        classes (Sequence[str]): Names of the label values in the files, in
            order.
        new_classes (Sequence[str]): The names to keep, in their new order.
        ignore_index (int, optional): Value of dropped classes. Defaults to
            None: 255 when ``classes`` fit in uint8 labels (at most 255
            classes), else 65535 (16-bit labels).

    Returns:
        dict[int, int]: Old label -> index in ``new_classes``, or
        ``ignore_index`` for a class not kept.
    """
    if ignore_index is None:
        ignore_index = (
            UINT8_IGNORE_INDEX
            if len(classes) <= UINT8_IGNORE_INDEX else WIDE_IGNORE_INDEX)
    kept = {name: index for index, name in enumerate(new_classes)}
    return {
        old: kept.get(name, ignore_index)
        for old, name in enumerate(classes)
    }


def apply_label_map(label: np.ndarray, label_map: Optional[Dict[int, int]],
                    reduce_zero_label: bool,
                    ignore_index: int) -> np.ndarray:
    """Apply mmseg's ``reduce_zero_label`` and ``label_map`` to a label map.

    Unlike mmseg's ``LoadAnnotations`` (a uint8 copy, one pass per class),
    this keeps the dtype's range (uint16 / int) and uses a lookup table.

    Args:
        label (np.ndarray): Raw label map, shape (H, W).
        label_map (dict, optional): Old index to new index.
        reduce_zero_label (bool): Send 0 to ``ignore_index`` and shift the
            other labels down by one.
        ignore_index (int): Ignored label value.

    Returns:
        np.ndarray: The remapped label map, shape (H, W), int64.
    """
    label = label.astype(np.int64)
    if reduce_zero_label:
        ignored = (label == 0) | (label == ignore_index)
        label = np.where(ignored, ignore_index, label - 1)
    if label_map:
        size = max(int(label.max()), max(label_map)) + 1
        lut = np.arange(size, dtype=np.int64)
        for old, new in label_map.items():
            lut[old] = new
        label = lut[label]
    return label
