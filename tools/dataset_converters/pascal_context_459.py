# Copyright (c) mmzs3 contributors. All rights reserved.
"""Convert the PASCAL Context release to 459-way 16-bit labels.

Input: ``VOCdevkit/VOC2010`` (``JPEGImages/*.jpg`` and
``ImageSets/Main/{train,val}.txt``) and the PASCAL Context release
``trainval.tar.gz`` (or the folder it extracts to): one
``trainval/<image id>.mat`` per VOC2010 train/val image, each with a
``LabelMap`` array of the release's source ids, 1..459 in the order of
its ``labels.txt``, and 0 for unlabelled pixels.

Output, inside ``VOC2010``:

- ``annotations_ctx459/<image id>.png``: 16-bit PNGs with label = source
  id - 1 (0..458, the order of ``mmzs3.datasets.splits.PASCAL_CONTEXT_459``)
  and 65535 for unlabelled pixels, as ``PascalContext459Dataset`` reads them
  with ``LoadWideSegAnnotations``;
- ``ImageSets/SegmentationContext/{train,val}.txt``, unless they exist
  (mmseg's PASCAL Context-59 preparation writes the same lists): PASCAL
  Context's train / val split is VOC2010's (``ImageSets/Main``), 4,998 /
  5,105 images.

Ids above 459, labels whose size differs from their image's, missing images
and unreadable files are refused with the file named. Existing valid
outputs are skipped.

Example::

    python tools/dataset_converters/pascal_context_459.py \\
        data/VOCdevkit/VOC2010 data/trainval.tar.gz
"""
import argparse
import io
import os
import os.path as osp
import tarfile
from typing import Iterator, List, Tuple

import cv2
import numpy as np
import scipy.io
from mmengine.utils import ProgressBar
from PIL import Image

from mmzs3.datasets.splits import PASCAL_CONTEXT_459
from mmzs3.utils.safe_checkpoint import atomic_open

IGNORE = 65535
NUM_CLASSES = len(PASCAL_CONTEXT_459.classes)
LABEL_DIR = 'annotations_ctx459'
LIST_DIR = osp.join('ImageSets', 'SegmentationContext')
SPLITS = ('train', 'val')


def source_ids_to_labels(ids: np.ndarray, path: str) -> np.ndarray:
    """Source ids (0 unlabelled, 1..459) to labels (0..458, 65535).

    Args:
        ids (np.ndarray): A ``LabelMap``, shape (H, W).
        path (str): Its file, for error messages.

    Returns:
        np.ndarray: uint16 labels, shape (H, W).
    """
    ids = ids.astype(np.int64)
    bad = ids[(ids < 0) | (ids > NUM_CLASSES)]
    if bad.size:
        raise ValueError(f'{path}: LabelMap holds ids '
                         f'{sorted(set(bad.tolist()))[:10]} outside '
                         f'0..{NUM_CLASSES}')
    return np.where(ids == 0, IGNORE, ids - 1).astype(np.uint16)


def read_label_map(data: bytes, path: str) -> np.ndarray:
    """The ``LabelMap`` array of a ``.mat`` file's bytes."""
    try:
        mat = scipy.io.loadmat(io.BytesIO(data))
        ids = np.asarray(mat['LabelMap'])
    except Exception as e:  # scipy raises several types for bad files
        raise ValueError(f'Cannot read PASCAL Context label file {path}: '
                         f'{e!r}') from e
    if ids.ndim != 2 or ids.dtype.kind not in 'iu':
        raise ValueError(f'{path}: LabelMap is not a 2-D integer array '
                         f'({ids.dtype}, shape {ids.shape})')
    return ids


def iter_mat_files(source: str) -> Iterator[Tuple[str, str, bytes]]:
    """(image id, path, bytes) of every ``.mat`` file of the release.

    Args:
        source (str): ``trainval.tar.gz`` or the folder it extracts to.
    """
    if osp.isdir(source):
        for root, _, files in os.walk(source):
            for name in sorted(files):
                if name.endswith('.mat'):
                    path = osp.join(root, name)
                    with open(path, 'rb') as f:
                        yield name[:-len('.mat')], path, f.read()
        return
    try:
        archive = tarfile.open(source, 'r:*')
    except (OSError, tarfile.TarError) as e:
        raise ValueError(f'Cannot open the PASCAL Context release '
                         f'{source}: {e}') from e
    with archive:
        for member in archive:
            if member.isfile() and member.name.endswith('.mat'):
                stem = osp.basename(member.name)[:-len('.mat')]
                yield (stem, f'{source}:{member.name}',
                       archive.extractfile(member).read())


def image_size(voc: str, image_id: str, label_path: str) -> Tuple[int, int]:
    """(height, width) of ``JPEGImages/<image_id>.jpg`` from its header."""
    path = osp.join(voc, 'JPEGImages', image_id + '.jpg')
    try:
        with Image.open(path) as img:
            return img.height, img.width
    except (OSError, ValueError) as e:
        raise ValueError(f'{label_path}: cannot read its image {path}: '
                         f'{e}') from e


def is_done(path: str, shape: Tuple[int, int]) -> bool:
    """Whether ``path`` is a readable 16-bit label of size ``shape``."""
    if not osp.isfile(path):
        return False
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    return (label is not None and label.dtype == np.uint16
            and label.shape == shape)


def write_png(label: np.ndarray, path: str) -> None:
    """Write a 16-bit PNG atomically (a killed run leaves no partial file).
    """
    ok, data = cv2.imencode('.png', label)
    if not ok:
        raise ValueError(f'Cannot encode {path}')
    with atomic_open(path, 'wb') as f:
        f.write(data.tobytes())


def convert_labels(voc: str, source: str) -> List[str]:
    """Write the label of every ``.mat`` file; return the image ids.

    Args:
        voc (str): The ``VOC2010`` folder.
        source (str): ``trainval.tar.gz`` or its extracted folder.

    Returns:
        list[str]: Ids of the images with a label, in release order.
    """
    out_dir = osp.join(voc, LABEL_DIR)
    os.makedirs(out_dir, exist_ok=True)
    ids, bar = [], ProgressBar()
    for image_id, path, data in iter_mat_files(source):
        shape = image_size(voc, image_id, path)
        out = osp.join(out_dir, image_id + '.png')
        if not is_done(out, shape):
            label = source_ids_to_labels(read_label_map(data, path), path)
            if label.shape != shape:
                raise ValueError(f'{path}: LabelMap is {label.shape}, its '
                                 f'image {image_id}.jpg is {shape}')
            write_png(label, out)
        ids.append(image_id)
        bar.update()
    if not ids:
        raise ValueError(f'{source} holds no .mat label files')
    return ids


def write_split_lists(voc: str, labelled: List[str]) -> None:
    """Write ``ImageSets/SegmentationContext/{train,val}.txt`` from VOC2010's
    ``ImageSets/Main`` lists (labelled images only), unless they exist."""
    os.makedirs(osp.join(voc, LIST_DIR), exist_ok=True)
    labelled = set(labelled)
    for split in SPLITS:
        dst = osp.join(voc, LIST_DIR, split + '.txt')
        if osp.isfile(dst):
            continue
        src = osp.join(voc, 'ImageSets', 'Main', split + '.txt')
        if not osp.isfile(src):
            raise ValueError(f'{src} not found: cannot write {dst}')
        with open(src, encoding='utf-8') as f:
            names = [n for n in (line.strip() for line in f) if n]
        with atomic_open(dst, 'w', encoding='utf-8') as f:
            f.write(''.join(n + '\n' for n in names if n in labelled))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('voc', help='VOCdevkit/VOC2010 folder')
    parser.add_argument(
        'release', help='PASCAL Context trainval.tar.gz, or its folder')
    args = parser.parse_args(argv)
    labelled = convert_labels(args.voc, args.release)
    write_split_lists(args.voc, labelled)
    print(f'\n{len(labelled)} labels in '
          f'{osp.join(args.voc, LABEL_DIR)}')


if __name__ == '__main__':
    main()
