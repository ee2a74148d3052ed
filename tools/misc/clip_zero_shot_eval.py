# Copyright (c) mmzs3 contributors. All rights reserved.
"""Zero-shot classification accuracy of an exported CLIP on caption crops.

Loads the model the way a real open_clip checkpoint loads
(``open_clip.create_model('local-dir:DIR')``), embeds every class name of the
synthetic benchmark with the prompt templates
(``open_clip.build_zero_shot_classifier``) and classifies the crops listed
in a caption CSV (the class is the one named in each caption). Prints the
accuracy on seen classes, unseen classes and all classes.

Example::

    python tools/misc/clip_zero_shot_eval.py \\
        work_dirs/tiny_clip_synthetic/open_clip \\
        data/synthetic_shapes/captions/val.csv
"""
import argparse
import csv
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import open_clip
import torch
from PIL import Image

from mmzs3.datasets.synthetic_shapes_dataset import (SYNTHETIC_CLASSES,
                                                     SYNTHETIC_UNSEEN_CLASSES)


def read_labelled_crops(
        csv_path: str, class_names: Sequence[str]
) -> Tuple[List[str], List[int], List[str]]:
    """Image paths, class indices and styles of the crops in a caption CSV.

    Raises:
        ValueError: If a caption names none of ``class_names``.
    """
    paths, labels, styles = [], [], []
    with open(csv_path, newline='') as f:
        for row in csv.DictReader(f):
            found = [i for i, n in enumerate(class_names)
                     if n in row['caption']]
            if len(found) != 1:
                raise ValueError(f'{csv_path}: caption "{row["caption"]}" '
                                 'names no single known class')
            paths.append(osp.join(osp.dirname(csv_path), row['filepath']))
            labels.append(found[0])
            styles.append(row.get('style', 'plain'))
    return paths, labels, styles


def load_images(paths: Sequence[str], size: int, mean: Sequence[float],
                std: Sequence[float]) -> torch.Tensor:
    """Images resized to ``size`` and normalised, shape (N, 3, S, S)."""
    arrays = [
        np.asarray(Image.open(p).convert('RGB').resize((size, size)),
                   np.float32) / 255 for p in paths
    ]
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
    return (images - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(
        std).view(1, 3, 1, 1)


@torch.no_grad()
def zero_shot_accuracy(clip_dir: str, csv_path: str,
                       templates: Sequence[str],
                       batch_size: int = 256) -> Dict[str, float]:
    """Accuracy (%) on seen, unseen and all classes, and per crop style.

    Args:
        clip_dir (str): Folder in open_clip's ``local-dir:`` layout.
        csv_path (str): Caption CSV of the crops to classify.
        templates (Sequence[str]): Prompt templates, e.g.
            ``['a photo of a {}.']``.
        batch_size (int): Images per forward pass. Defaults to 256.

    Returns:
        dict[str, float]: ``seen``, ``unseen`` and ``all`` accuracies, and
        ``plain`` / ``masked`` (crops of each style, NaN if none).
    """
    model = open_clip.create_model(f'local-dir:{clip_dir}').eval()
    tokenizer = open_clip.get_tokenizer(f'local-dir:{clip_dir}')
    with open(osp.join(clip_dir, 'open_clip_config.json')) as f:
        pre = json.load(f)['preprocess_cfg']
    classifier = open_clip.build_zero_shot_classifier(
        model, tokenizer, SYNTHETIC_CLASSES, templates)
    paths, labels, styles = read_labelled_crops(csv_path, SYNTHETIC_CLASSES)
    preds = []
    for start in range(0, len(paths), batch_size):
        images = load_images(paths[start:start + batch_size], pre['size'],
                             pre['mean'], pre['std'])
        features = model.encode_image(images, normalize=True)
        preds.append((features @ classifier).argmax(-1))
    correct = (torch.cat(preds) == torch.tensor(labels)).numpy()
    unseen = np.isin(labels, [
        SYNTHETIC_CLASSES.index(n) for n in SYNTHETIC_UNSEEN_CLASSES])
    masked = np.asarray(styles) == 'masked'
    return dict(
        seen=_percent(correct[~unseen]),
        unseen=_percent(correct[unseen]),
        all=_percent(correct),
        plain=_percent(correct[~masked]),
        masked=_percent(correct[masked]))


def _percent(correct: np.ndarray) -> float:
    """Percentage of True values; NaN for an empty array."""
    return float(100 * correct.mean()) if correct.size else float('nan')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='16-way zero-shot accuracy of an exported CLIP')
    parser.add_argument('clip_dir', help='export of export_open_clip.py')
    parser.add_argument('csv', help='caption CSV of the crops to classify')
    parser.add_argument(
        '--templates', nargs='+', default=['a photo of a {}.'],
        help='prompt templates ("{}" is the class name)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> Dict[str, float]:
    args = parse_args(argv)
    acc = zero_shot_accuracy(args.clip_dir, args.csv, args.templates)
    print(f'{len(SYNTHETIC_CLASSES)}-way zero-shot accuracy (%): '
          f'seen {acc["seen"]:.1f} | unseen {acc["unseen"]:.1f} | '
          f'all {acc["all"]:.1f} (plain crops {acc["plain"]:.1f} | '
          f'masked crops {acc["masked"]:.1f})')
    return acc


if __name__ == '__main__':
    main()
