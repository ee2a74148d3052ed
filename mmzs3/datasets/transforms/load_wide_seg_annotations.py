# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import Optional

import mmcv
from mmengine import fileio
from mmseg.datasets.transforms import LoadAnnotations

from mmzs3.registry import TRANSFORMS
from ..label_maps import WIDE_IGNORE_INDEX, apply_label_map


@TRANSFORMS.register_module()
class LoadWideSegAnnotations(LoadAnnotations):
    """Load semantic labels without casting them to uint8.

    mmseg's ``LoadAnnotations`` casts every label map to uint8, which breaks
    16-bit labels (ADE20K-Full 847, PASCAL Context-459, ignore 65535). This
    subclass reads the map unchanged (16-bit PNG or TIFF through OpenCV),
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
                 ignore_index: int = WIDE_IGNORE_INDEX,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None) -> None:
        super().__init__(
            backend_args=backend_args, imdecode_backend=imdecode_backend)
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
