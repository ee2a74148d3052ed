# Copyright (c) mmzs3 contributors. All rights reserved.
"""Convert COCO-Stuff 164k label maps to ZegFormer's 171-way order.

Input: ``stuffthingmaps_trainval2017/{train2017,val2017}/*.png`` (values are
0-based COCO ids 0..181, with 11 unused ids, and 255 for unlabelled
pixels). Output: ``<out_dir>/{train2017,val2017}/*.png`` with values 0..170
in the order of ``mmzs3.datasets.splits.COCO_STUFF_171`` (156 seen classes,
then 15 unseen) and 255 ignore. The unused ids, which the release never
uses, are mapped to 255; any other value is refused. Existing valid
outputs are skipped, so an interrupted run can be restarted.

Example::

    python tools/dataset_converters/coco_stuff164k_zs.py \\
        data/coco_stuff164k/stuffthingmaps_trainval2017 \\
        data/coco_stuff164k/annotations_zs171
"""
import argparse
import os
import os.path as osp
from typing import List

import numpy as np
from mmengine.utils import track_iter_progress
from PIL import Image

from mmzs3.datasets.splits import COCO_STUFF_171_TABLE

IGNORE = 255
NUM_RAW_IDS = 182


def build_lut() -> np.ndarray:
    """Lookup table raw PNG id -> 171-way index (-1 marks refused values).

    Returns:
        np.ndarray: int64 array of 256 entries.
    """
    lut = np.full(256, -1, dtype=np.int64)
    lut[:NUM_RAW_IDS] = IGNORE  # unused ids
    lut[IGNORE] = IGNORE
    for index, (_, png_id, _) in enumerate(COCO_STUFF_171_TABLE):
        lut[png_id] = index
    return lut


def read_label(path: str) -> np.ndarray:
    """Read a single-channel label PNG, naming the file on failure."""
    try:
        with Image.open(path) as img:
            label = np.array(img)
    except Exception as e:  # PIL raises several types for bad files
        raise ValueError(f'Cannot read label file {path}: {e}') from e
    if label.ndim != 2:
        raise ValueError(f'Label file {path} is not single-channel '
                         f'(shape {label.shape}).')
    return label


def convert_label(label: np.ndarray, lut: np.ndarray, path: str) -> np.ndarray:
    """Map raw ids to 171-way indices; refuse unknown values."""
    mapped = lut[label.astype(np.int64)]
    if (mapped < 0).any():
        bad = sorted(set(label[mapped < 0].tolist()))
        raise ValueError(f'Unknown COCO-Stuff label values {bad} in {path}')
    return mapped.astype(np.uint8)


def is_done(out_path: str, shape: tuple) -> bool:
    """Whether ``out_path`` is an existing, readable label of ``shape``."""
    if not osp.isfile(out_path):
        return False
    try:
        with Image.open(out_path) as img:
            return img.size[::-1] == shape and img.mode == 'L'
    except Exception:
        return False


def convert_split(src_dir: str, out_dir: str) -> List[str]:
    """Convert every PNG of one split folder; return the written names."""
    os.makedirs(out_dir, exist_ok=True)
    lut = build_lut()
    names = sorted(n for n in os.listdir(src_dir) if n.endswith('.png'))
    written = []
    for name in track_iter_progress(names):
        src, dst = osp.join(src_dir, name), osp.join(out_dir, name)
        label = read_label(src)
        if is_done(dst, label.shape):
            continue
        Image.fromarray(convert_label(label, lut, src)).save(dst)
        written.append(name)
    return written


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='stuffthingmaps_trainval2017 folder')
    parser.add_argument('out', help='output folder')
    parser.add_argument(
        '--splits', nargs='+', default=['train2017', 'val2017'])
    args = parser.parse_args(argv)
    for split in args.splits:
        convert_split(osp.join(args.src, split), osp.join(args.out, split))


if __name__ == '__main__':
    main()
