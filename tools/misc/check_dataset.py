# Copyright (c) mmzs3 contributors. All rights reserved.
"""Scan a dataset config and report every problem at once.

Checks each sample of a split for a missing, corrupt or truncated image or
label map, image and label maps of different sizes, and label values that
are neither a class index (``0..num_classes-1`` after the dataset's
``reduce_zero_label`` and ``label_map``) nor the ignore index; an empty
split is a problem too. Prints one line per problem, ``FILE: PROBLEM``, and
exits with status 1 when there is any.

Example:
    python tools/misc/check_dataset.py configs/my_config.py --split val
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar
from PIL import Image

from mmzs3.datasets import apply_label_map
from mmzs3.registry import DATASETS
from mmzs3.utils import enable_safe_io

Problem = Tuple[str, str]


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Check a dataset config')
    parser.add_argument('config', help='config file path')
    parser.add_argument(
        '--split',
        choices=['train', 'val', 'test'],
        default='train',
        help="which dataloader's dataset to scan")
    parser.add_argument(
        '--ignore-index',
        type=int,
        help="ignored label value (default: the dataset's ignore_index, "
        'else 255)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, as key=value pairs')
    return parser.parse_args(argv)


def read_array(path: str) -> np.ndarray:
    """Decode a whole image file (PIL raises on truncated data).

    Args:
        path (str): Image or label file.

    Returns:
        np.ndarray: The pixels, (H, W) or (H, W, C).
    """
    with Image.open(path) as img:
        img.load()
        return np.asarray(img)


def check_label_values(label: np.ndarray, info: dict, num_classes: int,
                       ignore_index: int) -> Optional[str]:
    """Describe label values that are neither a class nor ignored."""
    mapped = apply_label_map(label, info.get('label_map'),
                             bool(info.get('reduce_zero_label')),
                             ignore_index)
    values = np.unique(mapped)
    bad = values[((values < 0) | (values >= num_classes))
                 & (values != ignore_index)]
    if bad.size == 0:
        return None
    shown = ', '.join(str(v) for v in bad[:10]) + (
        ' ...' if bad.size > 10 else '')
    return (f'label values outside the class range 0..{num_classes - 1} '
            f'and not the ignore index {ignore_index}: {shown}')


def check_sample(info: dict, num_classes: int,
                 ignore_index: int) -> List[Problem]:
    """Every problem of one sample, as ``(file, problem)`` pairs."""
    problems, shapes = [], {}
    for key, kind in (('img_path', 'image'), ('seg_map_path', 'label')):
        path = info.get(key)
        if path is None:
            continue
        if not osp.isfile(path):
            problems.append((path, f'missing {kind} file'))
            continue
        try:
            pixels = read_array(path)
        except Exception as err:  # PIL raises several types
            problems.append((path, f'corrupt or truncated {kind} file ('
                             f'{type(err).__name__}: {err})'))
            continue
        shapes[kind] = pixels.shape[:2]
        if kind == 'label' and pixels.ndim != 2:
            problems.append((path, f'label map has shape {pixels.shape}; '
                             'expected one channel (H, W)'))
        elif kind == 'label':
            bad = check_label_values(pixels, info, num_classes,
                                     ignore_index)
            if bad:
                problems.append((path, bad))
    if len(shapes) == 2 and shapes['image'] != shapes['label']:
        problems.append((info['seg_map_path'],
                         f'label size {shapes["label"]} differs from the '
                         f'image size {shapes["image"]} of {info["img_path"]}'
                         ))
    return problems


def _ignore_index(dataset, override: Optional[int]) -> int:
    if override is not None:
        return override
    for obj in (dataset, getattr(dataset, 'dataset', None)):
        if getattr(obj, 'ignore_index', None) is not None:
            return int(obj.ignore_index)
    return 255


def check_dataset(cfg: Config, split: str,
                  ignore_index: Optional[int] = None) -> List[Problem]:
    """Build a split's dataset from a config and check every sample.

    Args:
        cfg (Config): The config.
        split (str): 'train', 'val' or 'test'.
        ignore_index (int, optional): Override of the ignored label value.
            Defaults to None.

    Returns:
        list[tuple[str, str]]: ``(file, problem)`` for every problem found.
    """
    loader = cfg.get(f'{split}_dataloader')
    if not loader or 'dataset' not in loader:
        return [(cfg.filename, f'the config has no {split}_dataloader.'
                 'dataset')]
    init_default_scope(cfg.get('default_scope', 'mmseg'))
    dataset_cfg = loader.dataset.copy()
    # mmengine's serialisation fails on an empty list with an opaque numpy
    # error; without it an empty split builds and is reported as such
    inner = dataset_cfg.get('dataset', dataset_cfg)
    if isinstance(inner, dict):
        inner['serialize_data'] = False
    try:
        dataset = DATASETS.build(dataset_cfg)
    except Exception as err:
        return [(cfg.filename, f'cannot build the {split} dataset ('
                 f'{type(err).__name__}: {err})')]
    if len(dataset) == 0:
        root = loader.dataset.get('data_root', '')
        return [(cfg.filename, f'empty {split} split: the dataset found no '
                 f'samples (data_root={root!r})')]
    num_classes = len(dataset.metainfo['classes'])
    ignore = _ignore_index(dataset, ignore_index)
    problems = []
    progress = ProgressBar(len(dataset), file=sys.stderr)
    for idx in range(len(dataset)):
        problems += check_sample(dataset.get_data_info(idx), num_classes,
                                 ignore)
        progress.update()
    sys.stderr.write('\n')
    return problems


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    enable_safe_io()  # the class-list reader (docs/reliability.md)
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    problems = check_dataset(cfg, args.split, args.ignore_index)
    for path, problem in problems:
        print(f'{path}: {problem}')
    print(f'{len(problems)} problem(s) in the {args.split} split of '
          f'{args.config}')
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
