# Copyright (c) mmzs3 contributors. All rights reserved.
"""An image-caption set read from a CSV file, for CLIP pretraining."""
import csv
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
from mmengine.dataset import BaseDataset

from mmzs3.registry import DATASETS


@DATASETS.register_module()
class ImageCaptionDataset(BaseDataset):
    """Images with one caption each, listed in a CSV file.

    The CSV has a header row and (at least) an image-path column and a
    caption column, as ``open_clip_train`` reads them. Image paths are
    relative to the CSV's folder. The synthetic benchmark generator writes
    ``captions/{train,val}.csv`` in this form. The pipeline (mmcv
    transforms) must leave an ``img`` array of shape (H, W, 3); each sample
    is returned as ``dict(inputs=(3, H, W) uint8 tensor,
    data_samples=caption)``, ready for ``ImgDataPreprocessor``.

    Args:
        ann_file (str): The CSV file, relative to ``data_root`` when that is
            given.
        img_key (str): Column holding the image paths.
            Defaults to 'filepath'.
        caption_key (str): Column holding the captions.
            Defaults to 'caption'.
        **kwargs: Further arguments of :class:`mmengine.dataset.BaseDataset`
            (``data_root``, ``pipeline``, ``test_mode``, ``lazy_init``...).
    """

    def __init__(self,
                 ann_file: str,
                 img_key: str = 'filepath',
                 caption_key: str = 'caption',
                 **kwargs) -> None:
        self.img_key = img_key
        self.caption_key = caption_key
        super().__init__(ann_file=ann_file, **kwargs)

    def load_data_list(self) -> List[dict]:
        """Read ``(img_path, caption)`` pairs from the CSV file.

        Raises:
            FileNotFoundError: If the CSV file does not exist.
            KeyError: If a column is missing from the CSV header.
        """
        if not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'ImageCaptionDataset: no CSV file at {self.ann_file}')
        root = osp.dirname(self.ann_file)
        with open(self.ann_file, newline='') as f:
            reader = csv.DictReader(f)
            for key in (self.img_key, self.caption_key):
                if key not in (reader.fieldnames or []):
                    raise KeyError(
                        f'ImageCaptionDataset: column "{key}" missing from '
                        f'{self.ann_file} (header: {reader.fieldnames})')
            return [
                dict(
                    img_path=osp.join(root, row[self.img_key]),
                    caption=row[self.caption_key]) for row in reader
            ]

    def prepare_data(self, idx: int) -> Optional[dict]:
        """Run the pipeline and pack the image tensor with its caption."""
        results = super().prepare_data(idx)
        image = np.ascontiguousarray(results['img'].transpose(2, 0, 1))
        return dict(
            inputs=torch.from_numpy(image), data_samples=results['caption'])
