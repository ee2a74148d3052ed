# Copyright (c) mmzs3 contributors. All rights reserved.
"""Build PASCAL VOC 2012 + SBD augmented labels and the 10,582 train list.

Input: ``VOCdevkit/VOC2012`` (``SegmentationClass/*.png``,
``ImageSets/Segmentation/{train,val}.txt``) and SBD's
``benchmark_RELEASE/dataset`` (``cls/*.mat`` with ``GTcls.Segmentation``,
``train.txt``, ``val.txt``). Output, inside ``VOC2012``:
``SegmentationClassAug/*.png`` (0 background, 1..20 classes, 255 boundary
or ignore) for every train and val image, and
``ImageSets/Segmentation/aug.txt``: (SBD train ∪ SBD val ∪ VOC train) minus
VOC val, the standard recipe (10,582 images). A label comes from VOC's own
PNG when VOC has one, else from the SBD ``.mat``. Values outside
0..20/255 and unreadable files are refused with the file named. Existing
valid outputs are skipped.

Example::

    python tools/dataset_converters/voc_aug_zs.py \\
        data/VOCdevkit/VOC2012 data/benchmark_RELEASE/dataset
"""
import argparse
import os
import os.path as osp
from typing import List

import numpy as np
import scipy.io
from mmengine.utils import track_iter_progress
from PIL import Image

VALID = np.array(list(range(21)) + [255])


def read_list(path: str) -> List[str]:
    """Image names listed in a split file."""
    with open(path, encoding='utf-8') as f:
        return [line.strip() for line in f if line.strip()]


def check_values(label: np.ndarray, path: str) -> np.ndarray:
    """Refuse values other than 0..20 and 255."""
    bad = np.setdiff1d(np.unique(label), VALID)
    if bad.size:
        raise ValueError(f'Unknown VOC label values {bad.tolist()} in {path}')
    return label.astype(np.uint8)


def read_sbd_mat(path: str) -> np.ndarray:
    """``GTcls.Segmentation`` of an SBD ``cls/*.mat`` file."""
    try:
        mat = scipy.io.loadmat(path, squeeze_me=True, struct_as_record=False)
        label = np.asarray(mat['GTcls'].Segmentation)
    except Exception as e:  # scipy raises several types for bad files
        raise ValueError(f'Cannot read SBD label file {path}: {e}') from e
    return check_values(label, path)


def read_voc_png(path: str) -> np.ndarray:
    """Palette indices of a VOC ``SegmentationClass`` PNG."""
    try:
        with Image.open(path) as img:
            label = np.array(img)
    except Exception as e:
        raise ValueError(f'Cannot read VOC label file {path}: {e}') from e
    if label.ndim != 2:
        raise ValueError(f'VOC label file {path} is not a palette PNG.')
    return check_values(label, path)


def is_done(path: str) -> bool:
    """Whether ``path`` is an existing, readable single-channel PNG."""
    try:
        with Image.open(path) as img:
            return img.mode == 'L'
    except Exception:
        return False


def aug_train_list(voc: str, sbd: str) -> List[str]:
    """(SBD train ∪ SBD val ∪ VOC train) minus VOC val, sorted."""
    seg_sets = osp.join(voc, 'ImageSets', 'Segmentation')
    names = set(read_list(osp.join(sbd, 'train.txt')))
    names |= set(read_list(osp.join(sbd, 'val.txt')))
    names |= set(read_list(osp.join(seg_sets, 'train.txt')))
    names -= set(read_list(osp.join(seg_sets, 'val.txt')))
    return sorted(names)


def write_label(name: str, voc: str, sbd: str, out_dir: str) -> None:
    """Write one ``SegmentationClassAug`` label unless already done."""
    dst = osp.join(out_dir, name + '.png')
    if is_done(dst):
        return
    voc_png = osp.join(voc, 'SegmentationClass', name + '.png')
    if osp.isfile(voc_png):
        label = read_voc_png(voc_png)
    else:
        label = read_sbd_mat(osp.join(sbd, 'cls', name + '.mat'))
    Image.fromarray(label).save(dst)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('voc', help='VOCdevkit/VOC2012 folder')
    parser.add_argument('sbd', help='benchmark_RELEASE/dataset folder')
    args = parser.parse_args(argv)
    out_dir = osp.join(args.voc, 'SegmentationClassAug')
    os.makedirs(out_dir, exist_ok=True)
    train = aug_train_list(args.voc, args.sbd)
    val = read_list(
        osp.join(args.voc, 'ImageSets', 'Segmentation', 'val.txt'))
    for name in track_iter_progress(train + val):
        write_label(name, args.voc, args.sbd, out_dir)
    with open(osp.join(args.voc, 'ImageSets', 'Segmentation', 'aug.txt'),
              'w', encoding='utf-8') as f:
        f.write('\n'.join(train) + '\n')


if __name__ == '__main__':
    main()
