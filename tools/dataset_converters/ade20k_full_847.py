# Copyright (c) mmzs3 contributors. All rights reserved.
"""Convert the ADE20K 2021 release to 847-way 16-bit labels.

Input: the folder holding ``ADE20K_2021_17_01`` and its
``index_ade20k.pkl`` (keys ``filename``, ``folder``, ``objectnames``). For
each image the mask ``<name>_seg.png`` is decoded as ``(R / 10) * 256 + G``
(the 1-based ADE object id; 0 = unlabelled) and mapped to the 847-way index
of ``mmzs3.datasets.splits.ADE20K_FULL_847`` (object ids outside the 847
classes and 0 become 65535). Ids above ``len(objectnames)`` are refused.
Images and labels are resized so the short side is at most 512 (bilinear
/ nearest) and written to ``<out>/images/{training,validation}/*.jpg`` and
``<out>/annotations/{training,validation}/*.png`` (16-bit PNG, lossless).
Existing valid outputs are skipped.

Example::

    python tools/dataset_converters/ade20k_full_847.py data/ADE20K_2021 \\
        data/ade20k_full
"""
import argparse
import os
import os.path as osp
from typing import Tuple

import cv2
import numpy as np
from mmengine.utils import track_iter_progress

from mmzs3.datasets.splits import ADE20K_FULL_847_TABLE
from mmzs3.utils.safe_checkpoint import RestrictedUnpickler

IGNORE = 65535
MAX_SHORT_SIDE = 512


def build_lut(num_objects: int) -> np.ndarray:
    """Lookup table ADE object id (0..num_objects) -> 847-way index."""
    lut = np.full(num_objects + 1, IGNORE, dtype=np.int64)
    for index, (_, object_id, _, _) in enumerate(ADE20K_FULL_847_TABLE):
        if object_id <= num_objects:
            lut[object_id] = index
    return lut


def decode_mask(path: str) -> np.ndarray:
    """ADE object ids ``(R / 10) * 256 + G`` of a ``*_seg.png`` mask."""
    bgr = cv2.imread(path, cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f'Cannot read ADE mask {path}')
    r, g = bgr[..., 2].astype(np.int64), bgr[..., 1].astype(np.int64)
    return (r // 10) * 256 + g


def map_ids(ids: np.ndarray, lut: np.ndarray, path: str) -> np.ndarray:
    """Map object ids to 847-way labels; refuse ids beyond the index."""
    if ids.max() >= len(lut):
        bad = sorted(set(ids[ids >= len(lut)].tolist()))[:10]
        raise ValueError(f'Unknown ADE object ids {bad} in {path} (the '
                         f'index lists {len(lut) - 1} objects)')
    return lut[ids].astype(np.uint16)


def target_size(h: int, w: int) -> Tuple[int, int]:
    """(width, height) with the short side at most 512."""
    scale = min(1.0, MAX_SHORT_SIDE / min(h, w))
    return int(round(w * scale)), int(round(h * scale))


def is_done(img_out: str, label_out: str) -> bool:
    """Whether both outputs exist, are readable and have equal sizes."""
    if not (osp.isfile(img_out) and osp.isfile(label_out)):
        return False
    img = cv2.imread(img_out)
    label = cv2.imread(label_out, cv2.IMREAD_UNCHANGED)
    return (img is not None and label is not None
            and label.dtype == np.uint16 and img.shape[:2] == label.shape)


def convert_one(img_path: str, out_root: str, subset: str,
                lut: np.ndarray) -> None:
    """Convert one image and its mask unless already done."""
    stem = osp.splitext(osp.basename(img_path))[0]
    img_out = osp.join(out_root, 'images', subset, stem + '.jpg')
    label_out = osp.join(out_root, 'annotations', subset, stem + '.png')
    if is_done(img_out, label_out):
        return
    mask_path = img_path[:-len('.jpg')] + '_seg.png'
    label = map_ids(decode_mask(mask_path), lut, mask_path)
    img = cv2.imread(img_path, cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'Cannot read ADE image {img_path}')
    size = target_size(*img.shape[:2])
    img = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
    label = cv2.resize(label, size, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(img_out, img)
    cv2.imwrite(label_out, label)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('root', help='folder with ADE20K_2021_17_01')
    parser.add_argument('out', help='output folder')
    parser.add_argument(
        '--index', default='ADE20K_2021_17_01/index_ade20k.pkl',
        help='index pickle, relative to root')
    args = parser.parse_args(argv)
    index_path = osp.join(args.root, args.index)
    try:
        # The index holds lists and numpy arrays only: the allowlisted
        # unpickler reads it without running code a tampered file carries.
        with open(index_path, 'rb') as f:
            index = RestrictedUnpickler(f).load()
    except Exception as e:
        raise ValueError(f'Cannot read ADE index {index_path}: {e}') from e
    lut = build_lut(len(index['objectnames']))
    items = list(zip(index['folder'], index['filename']))
    for subset in ('training', 'validation'):
        for sub in ('images', 'annotations'):
            os.makedirs(osp.join(args.out, sub, subset), exist_ok=True)
    for folder, filename in track_iter_progress(items):
        subset = 'validation' if 'validation' in folder else 'training'
        convert_one(
            osp.join(args.root, folder, filename), args.out, subset, lut)


if __name__ == '__main__':
    main()
