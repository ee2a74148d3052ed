# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import Dict, Optional

import mmcv
import numpy as np
from mmcv.transforms import LoadAnnotations as MMCVLoadAnnotations
from mmengine import fileio

from mmzs3.registry import TRANSFORMS


def apply_label_map(label: np.ndarray, label_map: Optional[Dict[int, int]],
                    reduce_zero_label: bool,
                    ignore_index: int) -> np.ndarray:
    """Apply mmseg's ``reduce_zero_label`` and ``label_map`` to a label map.

    Written here because mmseg's ``LoadAnnotations`` does the same on a
    uint8 copy only; this version keeps the dtype (uint16 / int) and uses a
    lookup table instead of one pass per class.

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


@TRANSFORMS.register_module()
class LoadWideSegAnnotations(MMCVLoadAnnotations):
    """Load semantic labels without casting them to uint8.

    mmseg's ``LoadAnnotations`` casts every label map to uint8, which breaks
    16-bit labels (ADE20K-Full 847, PASCAL Context-459, ignore 65535). This
    transform reads the map unchanged (16-bit PNG or TIFF through OpenCV),
    applies ``reduce_zero_label`` and the dataset's ``label_map`` and
    stores ``gt_seg_map`` as int64.

    Args:
        ignore_index (int): Ignored label value. Defaults to 65535.
        imdecode_backend (str): Backend of ``mmcv.imfrombytes``.
            Defaults to 'cv2'.
        backend_args (dict, optional): File backend arguments.
            Defaults to None.
    """

    def __init__(self,
                 ignore_index: int = 65535,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(
            with_bbox=False,
            with_label=False,
            with_seg=True,
            with_keypoints=False,
            imdecode_backend=imdecode_backend,
            backend_args=backend_args)
        self.ignore_index = ignore_index

    def _load_seg_map(self, results: dict) -> None:
        """Read ``seg_map_path`` into ``results['gt_seg_map']``."""
        path = results['seg_map_path']
        img_bytes = fileio.get(path, backend_args=self.backend_args)
        label = mmcv.imfrombytes(
            img_bytes, flag='unchanged', backend=self.imdecode_backend)
        if label is None:
            raise OSError(f'Cannot decode label map {path}')
        results['gt_seg_map'] = apply_label_map(
            label.squeeze(), results.get('label_map'),
            results.get('reduce_zero_label', False), self.ignore_index)
        results.setdefault('seg_fields', []).append('gt_seg_map')

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(ignore_index='
                f'{self.ignore_index}, imdecode_backend='
                f"'{self.imdecode_backend}')")
