# Copyright (c) mmzs3 contributors. All rights reserved.
"""Split your own dataset's classes into seen and unseen and write a config.

Reads a class-list file (one name per line; line ``i``, counted from 0,
names label value ``i``) and takes the unseen classes either by name
(``--unseen``) or drawn at random with a seed (``--num-unseen K --seed S``:
``numpy.random.default_rng(S).choice(N, K, replace=False)`` over the N label
values, so the same file, K and S always give the same split). Every other
class is seen. It writes two files into ``--out-dir``, each atomically:

- ``split.tsv``: ``#`` comment lines saying how the split was made, then a
  header ``label<TAB>name<TAB>split`` and one row per class in label order,
  ``split`` being ``seen`` or ``unseen``.
- ``config.py``: a ready config. It inherits a ZegFormer model config
  (``--model``), the default runtime and ZegFormer's schedule, and sets
  mmseg's ``BaseSegDataset`` with the classes named in the config, wrapped
  by ``ZeroShotSegDataset`` (training sees seen-class pixels only), the
  pipelines and ``HIoUMetric``. With more than 255 classes the labels are
  16-bit and the ignore value is 65535 instead of 255.

The dataset folder holds ``img_dir/{train,val}`` and ``ann_dir/{train,val}``
(mmseg's layout for custom data). Walk-through: docs/custom_dataset.md.

Example:
    python tools/dataset_converters/make_zs_split.py \\
        data/my_dataset/classes.txt --unseen cat,tree \\
        --out-dir work_dirs/my_dataset
"""
import argparse
import difflib
import os.path as osp
import sys
from typing import List, Optional, Sequence

import numpy as np

from mmzs3.utils.class_names import (ClassListError, class_list,
                                     read_class_names)
from mmzs3.utils.safe_checkpoint import atomic_open

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: Largest number of classes whose labels fit in uint8 next to 255 (ignore).
MAX_UINT8_CLASSES = 255
SPLIT_FILE = 'split.tsv'
CONFIG_FILE = 'config.py'


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Split a class list into seen / unseen classes and '
        'write a ZegFormer config for the dataset')
    parser.add_argument(
        'classes', help='class-list file, one name per line, in label order')
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument(
        '--unseen',
        nargs='+',
        help='unseen class names: "cat,tree", or one name per argument '
        '(for names that hold a comma)')
    how.add_argument(
        '--num-unseen', type=int, help='draw this many unseen classes')
    parser.add_argument(
        '--seed',
        type=int,
        default=0,
        help='seed of the draw (with --num-unseen; default 0)')
    parser.add_argument(
        '--out-dir',
        required=True,
        help=f'folder for {SPLIT_FILE} and {CONFIG_FILE}')
    parser.add_argument(
        '--data-root',
        help='dataset folder written into the config (default: the folder '
        'of the class-list file)')
    parser.add_argument(
        '--model',
        default='configs/_base_/models/zegformer_tiny.py',
        help='ZegFormer model config to inherit (default: the tiny model; '
        'configs/_base_/models/zegformer_r50.py for the full-size one)')
    parser.add_argument(
        '--clip-weights',
        help="CLIP weights file for both CLIP towers (default: the model "
        "config's)")
    parser.add_argument(
        '--crop-size',
        type=int,
        default=128,
        help='training crop size in pixels (default 128, for the tiny '
        'model; ZegFormer uses 512 or 640)')
    parser.add_argument(
        '--max-iters',
        type=int,
        default=2000,
        help='training iterations (default 2000)')
    parser.add_argument(
        '--batch-size',
        type=int,
        default=8,
        help='training images per GPU (or per process on the CPU)')
    parser.add_argument(
        '--img-suffix', default='.jpg', help='image suffix (default .jpg)')
    parser.add_argument(
        '--seg-map-suffix',
        default='.png',
        help='label-map suffix (default .png)')
    parser.add_argument(
        '--reduce-zero-label',
        action='store_true',
        help='label value 0 is background to ignore, and line i of the '
        'class list names value i + 1')
    return parser.parse_args(argv)


def unseen_by_name(classes: Sequence[str], names: Sequence[str],
                   class_file: str) -> List[str]:
    """Check unseen names against the class list.

    Args:
        classes (Sequence[str]): The class list, in label order.
        names (Sequence[str]): The names given as unseen.
        class_file (str): The class-list file, for messages.

    Returns:
        list[str]: The unseen names, in label order.

    Raises:
        ValueError: For an empty, repeated or unknown name, or when no
            seen class would remain.
    """
    if any(not name for name in names):
        raise ValueError('--unseen holds an empty name (a doubled or a '
                         'trailing comma?)')
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f'--unseen names {name!r} twice')
        if name not in classes:
            close = difflib.get_close_matches(name, classes, n=3)
            hint = f'; did you mean {close}?' if close else ''
            raise ValueError(f'--unseen names {name!r}, which is not a '
                             f'class of {class_file}{hint}')
    if len(names) == len(classes):
        raise ValueError(f'--unseen names every class of {class_file}; '
                         'at least one class must stay seen')
    return [name for name in classes if name in set(names)]


def draw_unseen(classes: Sequence[str], num_unseen: int,
                seed: int) -> List[str]:
    """Draw unseen classes: ``default_rng(seed).choice(N, K, replace=False)``.

    Args:
        classes (Sequence[str]): The class list, in label order (N names).
        num_unseen (int): How many to draw (K), 1..N-1.
        seed (int): Seed of numpy's default generator.

    Returns:
        list[str]: The unseen names, in label order.

    Raises:
        ValueError: If ``num_unseen`` is not in 1..N-1.
    """
    if not 0 < num_unseen < len(classes):
        raise ValueError(f'--num-unseen must be between 1 and '
                         f'{len(classes) - 1} for {len(classes)} classes; '
                         f'got {num_unseen}')
    rng = np.random.default_rng(seed)
    drawn = rng.choice(len(classes), num_unseen, replace=False)
    return [classes[i] for i in sorted(drawn)]


def split_tsv(classes: Sequence[str], unseen: Sequence[str],
              origin: str) -> str:
    """The split file: comment lines, a header and one row per class.

    Args:
        classes (Sequence[str]): The class list, in label order.
        unseen (Sequence[str]): The unseen names.
        origin (str): Comment lines saying how the split was made.

    Returns:
        str: The file's text.
    """
    rows = [f'# {line}' for line in origin.splitlines()]
    rows.append('label\tname\tsplit')
    rows += [
        f'{i}\t{name}\t{"unseen" if name in unseen else "seen"}'
        for i, name in enumerate(classes)
    ]
    return '\n'.join(rows) + '\n'


def py_list(names: Sequence[str]) -> str:
    """A list literal with one name per line."""
    return '[\n' + ''.join(f'    {name!r},\n' for name in names) + ']'


#: The config written next to the split file: Python config text in which
#: ``{...}`` are filled in by ``str.format``. It is a file of its own so
#: that it reads as the config it becomes.
CONFIG_TEMPLATE = osp.join(osp.dirname(osp.abspath(__file__)),
                           'make_zs_split_config.tpl')


def config_text(args: argparse.Namespace, classes: Sequence[str],
                unseen: Sequence[str], origin: str) -> str:
    """The text of the config written next to the split file.

    Args:
        args (argparse.Namespace): The parsed command line.
        classes (Sequence[str]): The class list, in label order.
        unseen (Sequence[str]): The unseen names.
        origin (str): Comment lines saying how the split was made.

    Returns:
        str: A config inheriting ``args.model``.
    """
    out_dir = osp.abspath(args.out_dir)

    def base(path: str) -> str:
        return osp.relpath(osp.join(REPO_ROOT, path), out_dir)

    wide = len(classes) > MAX_UINT8_CLASSES
    load = ("dict(type='LoadWideSegAnnotations', ignore_index=ignore_index)"
            if wide else "dict(type='LoadAnnotations')")
    seen = [name for name in classes if name not in unseen]
    model_name = osp.splitext(osp.basename(args.model))[0]
    weights = ('' if args.clip_weights is None else
               f'clip_weights = {args.clip_weights!r}\n')
    towers = ('' if args.clip_weights is None else
              '    text_encoder=dict(pretrained=clip_weights),\n'
              '    clip_classifier=dict(pretrained=clip_weights),\n')
    data_root = args.data_root or osp.dirname(args.classes) or '.'
    comments = ''.join(f'# {line}\n' for line in origin.splitlines())
    with open(CONFIG_TEMPLATE, encoding='utf-8') as f:
        template = f.read()
    return template.format(
        comments=comments,
        model_name=model_name,
        model=base(args.model),
        runtime=base('configs/_base_/default_runtime.py'),
        schedule=base('configs/_base_/schedules/schedule_60k.py'),
        classes=py_list(classes),
        seen=py_list(seen),
        unseen=py_list(unseen),
        data_root=data_root,
        ignore_index=65535 if wide else 255,
        bits=16 if wide else 8,
        crop=args.crop_size,
        max_iters=args.max_iters,
        batch_size=args.batch_size,
        weights=weights,
        towers=towers,
        load=load,
        img_suffix=args.img_suffix,
        seg_map_suffix=args.seg_map_suffix,
        reduce_zero_label=args.reduce_zero_label,
        label_note=('classes[i] names label value i + 1 (0 is ignored)'
                    if args.reduce_zero_label else
                    'classes[i] names label value i'))


def origin_note(args: argparse.Namespace, num_classes: int) -> str:
    """How the split was made, for the comment lines of both files."""
    if args.unseen is not None:
        how = 'unseen classes given by name (--unseen)'
    else:
        how = (f'{args.num_unseen} unseen classes drawn with seed '
               f'{args.seed}: numpy.random.default_rng({args.seed}).choice('
               f'{num_classes}, {args.num_unseen}, replace=False)')
    return f'Classes: {args.classes}\n{how}'


def make_split(args: argparse.Namespace) -> List[str]:
    """Write the split file and the config; return the unseen names.

    Raises:
        ValueError: For a bad class-list file or bad unseen names.
    """
    classes = read_class_names(args.classes)
    if args.unseen is not None:
        unseen = unseen_by_name(classes, class_list(args.unseen),
                                args.classes)
    else:
        unseen = draw_unseen(classes, args.num_unseen, args.seed)
    origin = origin_note(args, len(classes))
    texts = {
        SPLIT_FILE: split_tsv(classes, unseen, origin),
        CONFIG_FILE: config_text(args, classes, unseen, origin)
    }
    for name, text in texts.items():
        with atomic_open(osp.join(args.out_dir, name), 'w',
                         encoding='utf-8') as f:
            f.write(text)
    return unseen


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    try:
        unseen = make_split(args)
    except (ClassListError, ValueError, OSError) as err:
        print(f'make_zs_split.py: error: {err}', file=sys.stderr)
        return 2
    print(f'unseen: {", ".join(unseen)}')
    for name in (SPLIT_FILE, CONFIG_FILE):
        print(f'wrote {osp.join(args.out_dir, name)}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
