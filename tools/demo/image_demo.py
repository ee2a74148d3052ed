# Copyright (c) mmzs3 contributors. All rights reserved.
"""Segment one image with any class names and write a coloured overlay.

Examples::

    python tools/demo/image_demo.py demo.jpg \\
        configs/zegformer/zegformer_r50_coco.py \\
        checkpoints/zegformer_r50_coco.pth --classes "cat,dog,grass"
    # a model-index name instead of config + checkpoint; synonyms in a file
    python tools/demo/image_demo.py demo.jpg zegformer_r50_coco \\
        --classes-file my_classes.txt --mode seg --out-file result.png

``--classes`` takes one comma-separated string, or several arguments, one
class each (``--classes cat "person, people"``: ``', '`` inside a class
separates synonyms). Class-list files hold one class per line. Without
either, the classes stored with the checkpoint are used (converted official
checkpoints and checkpoints of mmzs3 training store them).
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np

from mmzs3.apis import ZegFormerInferencer
from mmzs3.models.text_encoders import TEMPLATE_SETS
from mmzs3.utils.class_names import class_list, read_class_names


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Open-vocabulary segmentation of one image (ZegFormer)')
    parser.add_argument('img', help='image file')
    parser.add_argument(
        'config', help='config file, or a model name of the model index')
    parser.add_argument(
        'checkpoint',
        nargs='?',
        help='checkpoint file (optional with a model name)')
    names = parser.add_mutually_exclusive_group()
    names.add_argument(
        '--classes',
        nargs='+',
        help='"cat,dog,grass", or one class per argument; default: the '
        'classes stored with the checkpoint')
    names.add_argument(
        '--classes-file', help='class-list file, one class per line')
    parser.add_argument(
        '--seen-classes',
        nargs='+',
        help='classes treated as seen (same syntax as --classes); '
        "default: the checkpoint's seen classes among --classes, else "
        'none (every class unseen: no gamma calibration)')
    parser.add_argument(
        '--gamma',
        type=float,
        help="calibration gamma of seen classes; default: the checkpoint's, "
        "else the config's")
    parser.add_argument(
        '--mode',
        choices=['seg', 'img', 'fused', 'fuse_all'],
        help="test-time mode; default: the config's")
    parser.add_argument(
        '--templates',
        help=f'prompt templates: one of {sorted(TEMPLATE_SETS)} or a file '
        "with one template per line; default: the config's")
    parser.add_argument(
        '--out-file', default='demo_result.png', help='overlay PNG to write')
    parser.add_argument(
        '--opacity', type=float, default=0.6, help='overlay opacity')
    parser.add_argument('--device', default='cpu', help='e.g. cuda:0')
    parser.add_argument(
        '--bf16',
        action='store_true',
        help='CPU: run the CLIP image tower under bf16 autocast where the '
        'CPU has native bf16 (AVX512-BF16, AMX); float32 otherwise')
    parser.add_argument(
        '--checkpoint-dir',
        help='folder of model-index checkpoints '
        '(default: $MMZS3_CHECKPOINT_DIR or ./checkpoints)')
    return parser.parse_args(argv)


def templates_arg(value: Optional[str]):
    """A template set name, or the templates of a file."""
    if value is None or value in TEMPLATE_SETS:
        return value
    if osp.isfile(value):
        return read_class_names(value)
    raise ValueError(f'--templates: {value!r} is neither a template set '
                     f'({sorted(TEMPLATE_SETS)}) nor a file')


def format_table(classes: Sequence[str], shares: np.ndarray,
                 scores: np.ndarray) -> str:
    """Classes present, by pixel share, with their mean scores."""
    order = [i for i in np.argsort(-shares, kind='stable') if shares[i] > 0]
    width = max([len('class')] + [len(classes[i]) for i in order])
    lines = [f'{"class":<{width}}  {"pixels":>7}  {"score":>6}']
    lines += [
        f'{classes[i]:<{width}}  {shares[i]:>7.1%}  {scores[i]:>6.3f}'
        for i in order
    ]
    absent = len(classes) - len(order)
    if absent:
        lines.append(f'({absent} of {len(classes)} classes not present)')
    return '\n'.join(lines)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    classes = class_list(args.classes) or args.classes_file
    inferencer = ZegFormerInferencer(
        args.config,
        args.checkpoint,
        classes=classes,
        seen_classes=class_list(args.seen_classes),
        templates=templates_arg(args.templates),
        fusion_mode=args.mode,
        device=args.device,
        checkpoint_dir=args.checkpoint_dir,
        calibration_gamma=args.gamma,
        bf16=args.bf16)
    if not inferencer.classes:
        raise SystemExit('image_demo.py: the checkpoint stores no class '
                         'names; pass --classes or --classes-file')
    result = inferencer(args.img, return_vis=True, opacity=args.opacity)
    mmcv.imwrite(result['visualization'][:, :, ::-1], args.out_file)
    print(format_table(result['classes'], result['shares'],
                       result['scores']))
    print(f'overlay written to {args.out_file}')


if __name__ == '__main__':
    main()
