# Copyright (c) mmzs3 contributors. All rights reserved.
"""Generate the synthetic zero-shot benchmark (coloured shapes).

Writes, under ``--out``:

- ``img_dir/{train,val}/NNNNNN.png`` and ``ann_dir/{train,val}/NNNNNN.png``:
  an mmseg-format segmentation set. Each image holds several coloured shapes
  (overlapping, varied size, position and rotation) on a textured, noisy
  grey background. Labels index ``SYNTHETIC_CLASSES`` (0..15); background is
  255. Annotations hold the full ground truth: unseen objects appear in
  training images too (the paper's setting; seen-class training ignores
  them through the dataset's label map), unless ``--unseen-in-train drop``.
- ``captions/{train,val}/*.png`` with ``captions/{train,val}.csv``
  (``filepath,caption,style``, paths relative to ``captions/``; style is
  ``plain`` or ``masked``): single-object
  crops of all 16 classes, unseen included, with captions such as
  ``a photo of a red circle.``. Image-level data only. A fraction of the
  crops imitate the CLIP re-classifier's input: stretched to the object's
  tight box and filled with the CLIP mean colour outside the object.
- ``manifest.json``: the arguments. Re-running with the same arguments skips
  the files already written (every sample has its own seeded generator, so a
  resumed run writes the same bytes); different arguments raise an error.

Example::

    python tools/dataset_converters/synthetic_shapes.py \\
        --out data/synthetic_shapes --seed 0
"""
import argparse
import csv
import json
import os
import os.path as osp
import sys
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.utils import track_parallel_progress, track_progress
from PIL import Image, ImageDraw

from mmzs3.datasets.synthetic_shapes_dataset import (CAPTION_TEMPLATES,
                                                     SHAPE_COLOURS,
                                                     SYNTHETIC_CLASSES,
                                                     SYNTHETIC_UNSEEN_CLASSES)
from mmzs3.utils.atomic_write import atomic_write

MANIFEST_VERSION = 1
IGNORE_INDEX = 255
#: OpenAI CLIP's mean colour in 0-255 RGB (zero after CLIP normalisation).
CLIP_MEAN_RGB = (122, 116, 104)
_SPLIT_CODES = {'train': 0, 'val': 1, 'captions/train': 2, 'captions/val': 3}


class ManifestMismatchError(ValueError):
    """The output folder was generated with different arguments."""


def shape_vertices(shape: str, centre: Tuple[float, float], radius: float,
                   angle: float) -> List[Tuple[float, float]]:
    """Polygon vertices of a rotated square, triangle or star.

    Args:
        shape (str): One of 'square', 'triangle', 'star'.
        centre (tuple[float, float]): Centre ``(x, y)`` in pixels.
        radius (float): Circumradius in pixels.
        angle (float): Rotation in radians.

    Returns:
        list[tuple[float, float]]: The vertices ``(x, y)``.
    """
    if shape == 'square':
        radii, count = [radius], 4
    elif shape == 'triangle':
        radii, count = [radius * 1.15], 3
    elif shape == 'star':
        radii, count = [radius * 1.15, radius * 0.5], 5
    else:
        raise ValueError(f'shape_vertices: unknown shape "{shape}"')
    steps = count * len(radii)
    return [(centre[0] + radii[k % len(radii)] * np.cos(angle + 2 * np.pi *
                                                         k / steps),
             centre[1] + radii[k % len(radii)] * np.sin(angle + 2 * np.pi *
                                                        k / steps))
            for k in range(steps)]


def shape_mask(shape: str, centre: Tuple[float, float], radius: float,
               angle: float, size: int) -> np.ndarray:
    """Binary mask of one shape on a ``size x size`` canvas.

    Returns:
        np.ndarray: Boolean mask of shape (size, size).
    """
    canvas = Image.new('L', (size, size), 0)
    draw = ImageDraw.Draw(canvas)
    if shape == 'circle':
        draw.ellipse([
            centre[0] - radius, centre[1] - radius, centre[0] + radius,
            centre[1] + radius
        ],
                     fill=1)
    else:
        draw.polygon(shape_vertices(shape, centre, radius, angle), fill=1)
    return np.asarray(canvas, dtype=bool)


def textured_background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A noisy grey texture: smooth blobs, stripes and pixel noise.

    Returns:
        np.ndarray: float32 RGB image of shape (size, size, 3), 0-255.
    """
    grid = rng.normal(0, 30, (4 + size // 16, 4 + size // 16)).astype(
        np.float32)
    blobs = np.asarray(
        Image.fromarray(grid).resize((size, size), Image.BILINEAR))
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    theta, freq = rng.uniform(0, np.pi), rng.uniform(2, 10)
    stripes = rng.uniform(0, 25) * np.sin(
        2 * np.pi * freq * (xx * np.cos(theta) + yy * np.sin(theta)))
    grey = rng.uniform(70, 190) + blobs + stripes
    tint = rng.uniform(-12, 12, 3)
    image = grey[..., None] + tint + rng.normal(0, 10, (size, size, 3))
    return image.astype(np.float32)


def paint(image: np.ndarray, mask: np.ndarray, colour: str,
          rng: np.random.Generator) -> None:
    """Paint one object of a colour word into ``image`` (in place)."""
    base = np.asarray(SHAPE_COLOURS[colour], np.float32)
    rgb = base * rng.uniform(0.8, 1.1) + rng.normal(0, 12, 3)
    noise = rng.normal(0, 12, (int(mask.sum()), 3))
    image[mask] = rgb + noise


def random_pose(rng: np.random.Generator, size: int, radius_range: Tuple[
        float, float], margin: float) -> Tuple[Tuple[float, float], float,
                                              float]:
    """Random ``(centre, radius, angle)`` of an object on the canvas."""
    radius = rng.uniform(*radius_range) * size
    low, high = margin * size, (1 - margin) * size
    centre = (rng.uniform(low, high), rng.uniform(low, high))
    return centre, radius, rng.uniform(0, 2 * np.pi)


#: Poses tried per object when ``overlap='avoid'``.
PLACEMENT_TRIES = 30


def place_object(rng: np.random.Generator, shape: str, size: int,
                 taken: np.ndarray, avoid: bool) -> np.ndarray:
    """The mask of one object at a random pose.

    With ``avoid``, poses are drawn until the object covers no pixel of
    ``taken``; after ``PLACEMENT_TRIES`` draws the least overlapping pose
    is used.

    Args:
        rng (np.random.Generator): The sample's generator.
        shape (str): The shape word.
        size (int): Canvas side.
        taken (np.ndarray): Boolean mask of the pixels of earlier objects,
            shape (size, size).
        avoid (bool): Whether to avoid overlapping earlier objects.

    Returns:
        np.ndarray: Boolean mask of shape (size, size).
    """
    best, best_overlap = None, None
    for _ in range(PLACEMENT_TRIES if avoid else 1):
        centre, radius, angle = random_pose(rng, size, (0.09, 0.2), 0.1)
        mask = shape_mask(shape, centre, radius, angle, size)
        overlap = int((mask & taken).sum())
        if best is None or overlap < best_overlap:
            best, best_overlap = mask, overlap
        if overlap == 0:
            break
    return best


def render_scene(rng: np.random.Generator,
                 size: int,
                 class_ids: Sequence[int],
                 overlap: str = 'allow') -> Tuple[np.ndarray, np.ndarray]:
    """Draw objects of ``class_ids`` in order (later ones on top).

    Args:
        rng (np.random.Generator): The sample's generator.
        size (int): Canvas side.
        class_ids (Sequence[int]): Classes of the objects, bottom first.
        overlap (str): 'allow' draws poses freely (objects occlude each
            other); 'avoid' places each object clear of the earlier ones
            where it can, so that every shape is seen whole.
            Defaults to 'allow'.

    Returns:
        tuple[np.ndarray, np.ndarray]: uint8 RGB image (size, size, 3) and
        uint8 label map (size, size) with 255 on the background.
    """
    image = textured_background(rng, size)
    label = np.full((size, size), IGNORE_INDEX, np.uint8)
    for class_id in class_ids:
        colour, shape = SYNTHETIC_CLASSES[class_id].split(' ')
        mask = place_object(rng, shape, size, label != IGNORE_INDEX,
                            overlap == 'avoid')
        paint(image, mask, colour, rng)
        label[mask] = class_id
    return np.clip(image, 0, 255).astype(np.uint8), label


def coarse_mask(mask: np.ndarray, stride: int) -> np.ndarray:
    """A mask as a segmenter predicts it at ``stride``: the fraction of
    each ``stride x stride`` block, upsampled bilinearly and thresholded at
    one half.

    Args:
        mask (np.ndarray): Boolean mask, shape (H, W).
        stride (int): Block size in pixels; 1 returns the mask.

    Returns:
        np.ndarray: Boolean mask, shape (H, W).
    """
    if stride <= 1:
        return mask
    height, width = mask.shape
    pil = Image.fromarray(mask.astype(np.uint8) * 255)
    small = pil.resize((max(1, width // stride), max(1, height // stride)),
                       Image.BOX)
    return np.asarray(small.resize((width, height), Image.BILINEAR)) >= 128


def render_crop(rng: np.random.Generator,
                size: int,
                class_id: int,
                masked: bool,
                max_mask_stride: int = 1) -> np.ndarray:
    """One object of ``class_id`` filling most of a ``size x size`` crop.

    With ``masked`` the object is drawn on a larger canvas, cut to its
    tight box plus a small margin, stretched to the crop size (as
    ``roi_align`` does) and filled with the CLIP mean colour outside it.
    The mask is the object's, coarsened (:func:`coarse_mask`) with a stride
    drawn from 1 to ``max_mask_stride``: the re-classifier crops with
    masks predicted at a quarter of the image resolution, whose corners
    and points are rounded.

    Returns:
        np.ndarray: uint8 RGB image of shape (size, size, 3).
    """
    colour, shape = SYNTHETIC_CLASSES[class_id].split(' ')
    canvas = size * 2 if masked else size
    centre, radius, angle = random_pose(rng, canvas, (0.26, 0.42), 0.38)
    image = textured_background(rng, canvas)
    mask = shape_mask(shape, centre, radius, angle, canvas)
    paint(image, mask, colour, rng)
    if masked:
        if max_mask_stride > 1:
            mask = coarse_mask(mask,
                               int(rng.integers(1, max_mask_stride + 1)))
        image[~mask] = CLIP_MEAN_RGB
        rows, cols = np.nonzero(mask.any(1))[0], np.nonzero(mask.any(0))[0]
        pad = rng.uniform(0, 0.1, 4) * canvas
        box = (max(cols[0] - pad[0], 0), max(rows[0] - pad[1], 0),
               min(cols[-1] + 1 + pad[2], canvas),
               min(rows[-1] + 1 + pad[3], canvas))
        pil = Image.fromarray(np.clip(image, 0, 255).astype(np.uint8))
        return np.asarray(
            pil.resize((size, size), Image.BILINEAR, box=box), np.uint8)
    return np.clip(image, 0, 255).astype(np.uint8)


def scene_classes(rng: np.random.Generator, index: int,
                  pool: Sequence[int], max_objects: int) -> List[int]:
    """Classes of one scene; the last (top-most) cycles through ``pool``.

    Cycling the top object guarantees every class of the pool appears once
    there are at least ``len(pool)`` images.
    """
    count = int(rng.integers(2, max_objects + 1))
    others = rng.choice(pool, count - 1).tolist()
    return [int(c) for c in others] + [int(pool[index % len(pool)])]


def save_png(array: np.ndarray, path: str) -> None:
    """Write a PNG atomically (a killed run leaves no partial file)."""
    with atomic_write(path) as f:
        Image.fromarray(array).save(f, format='PNG')


def sample_rng(seed: int, split: str, index: int) -> np.random.Generator:
    """The generator of one sample, independent of every other sample."""
    return np.random.default_rng([seed, _SPLIT_CODES[split], index])


def run_tasks(func: Callable[[Tuple], Any], tasks: List[Tuple],
              workers: int) -> List[Any]:
    """Apply ``func`` to every task with mmengine's progress bar, in
    ``workers`` processes when more than one (every sample has its own
    generator, so the bytes written do not depend on ``workers``)."""
    if workers > 1 and len(tasks) > 1:
        return track_parallel_progress(func, tasks, workers, chunksize=8)
    return track_progress(func, tasks)


def write_scene(task: Tuple[str, str, int, Dict, List[int]]) -> None:
    """Write one image/label pair unless both exist.

    Args:
        task (tuple): ``(out, split, index, args, pool)``, ``pool`` the
            class ids a scene may hold.
    """
    out, split, index, args, pool = task
    img_path = osp.join(out, 'img_dir', split, f'{index:06d}.png')
    ann_path = osp.join(out, 'ann_dir', split, f'{index:06d}.png')
    if osp.exists(img_path) and osp.exists(ann_path):
        return
    rng = sample_rng(args['seed'], split, index)
    classes = scene_classes(rng, index, pool, args['max_objects'])
    image, label = render_scene(rng, args['size'], classes, args['overlap'])
    save_png(image, img_path)
    save_png(label, ann_path)


def write_scenes(out: str, split: str, num: int, args: Dict,
                 workers: int = 1) -> None:
    """Write ``num`` image/label pairs of ``split``, skipping existing ones.
    """
    unseen = {SYNTHETIC_CLASSES.index(n) for n in SYNTHETIC_UNSEEN_CLASSES}
    pool = list(range(len(SYNTHETIC_CLASSES)))
    if split == 'train' and args['unseen_in_train'] == 'drop':
        pool = [c for c in pool if c not in unseen]
    for sub in ('img_dir', 'ann_dir'):
        os.makedirs(osp.join(out, sub, split), exist_ok=True)
    print(f'{split}: {num} scenes of {args["size"]}x{args["size"]}')
    run_tasks(write_scene, [(out, split, index, args, pool)
                            for index in range(num)], workers)
    print()


def write_caption(task: Tuple[str, str, int, Dict]) -> Tuple[str, str, str]:
    """Write one caption crop unless it exists; return its CSV row.

    Args:
        task (tuple): ``(out, split, index, args)``.

    Returns:
        tuple[str, str, str]: The crop's path relative to ``captions/``,
        its caption and its style.
    """
    out, split, index, args = task
    class_id = index % len(SYNTHETIC_CLASSES)
    rng = sample_rng(args['seed'], f'captions/{split}', index)
    masked = bool(rng.uniform() < args['masked_fraction'])
    template = CAPTION_TEMPLATES[rng.integers(len(CAPTION_TEMPLATES))]
    rel = f'{split}/{index:06d}.png'
    if not osp.exists(osp.join(out, 'captions', rel)):
        crop = render_crop(rng, args['crop_size'], class_id, masked,
                           args['max_mask_stride'])
        save_png(crop, osp.join(out, 'captions', rel))
    return (rel, template.format(SYNTHETIC_CLASSES[class_id]),
            'masked' if masked else 'plain')


def write_captions(out: str, split: str, per_class: int, args: Dict,
                   workers: int = 1) -> None:
    """Write ``per_class`` caption crops of every class and the CSV."""
    os.makedirs(osp.join(out, 'captions', split), exist_ok=True)
    num = per_class * len(SYNTHETIC_CLASSES)
    print(f'captions/{split}: {num} crops of {args["crop_size"]}px')
    rows = run_tasks(write_caption,
                     [(out, split, index, args) for index in range(num)],
                     workers)
    print()
    with open(osp.join(out, 'captions', f'{split}.csv'), 'w',
              newline='') as f:
        writer = csv.writer(f, lineterminator='\n')
        writer.writerow(('filepath', 'caption', 'style'))
        writer.writerows(rows)


def check_manifest(out: str, args: Dict) -> None:
    """Write ``manifest.json``, or check it matches ``args``.

    Raises:
        ManifestMismatchError: If ``out`` holds a manifest with other
            arguments.
    """
    manifest = dict(version=MANIFEST_VERSION, args=args)
    path = osp.join(out, 'manifest.json')
    if osp.exists(path):
        with open(path) as f:
            old = json.load(f)
        if old != manifest:
            diff = sorted(k for k in set(args) | set(old.get('args', {}))
                          if old.get('args', {}).get(k) != args.get(k))
            raise ManifestMismatchError(
                f'{path} was written with other arguments (differing: '
                f'{", ".join(diff) or "version"}); use another --out or '
                'delete the folder')
        return
    os.makedirs(out, exist_ok=True)
    with open(path, 'w') as f:
        json.dump(manifest, f, indent=2, sort_keys=True)


def generate(out: str, workers: int = 1, **args) -> None:
    """Generate (or complete) the benchmark under ``out``.

    Args:
        out (str): Output folder.
        workers (int): Processes writing samples. The output does not
            depend on it. Defaults to 1.
        **args: The generation arguments (see ``parse_args``).
    """
    check_manifest(out, args)
    write_scenes(out, 'train', args['num_train'], args, workers)
    write_scenes(out, 'val', args['num_val'], args, workers)
    write_captions(out, 'train', args['captions_per_class'], args, workers)
    write_captions(out, 'val', args['val_captions_per_class'], args,
                   workers)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate the synthetic zero-shot benchmark')
    parser.add_argument('--out', default='data/synthetic_shapes')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--num-train', type=int, default=1000)
    parser.add_argument('--num-val', type=int, default=200)
    parser.add_argument('--size', type=int, default=128,
                        help='side of the segmentation images')
    parser.add_argument('--max-objects', type=int, default=5,
                        help='objects per scene: 2 to this number')
    parser.add_argument(
        '--unseen-in-train', choices=['keep', 'drop'], default='keep',
        help='keep: unseen objects appear in training scenes (labelled; '
        'ignored in seen-class training); drop: they never appear there')
    parser.add_argument(
        '--overlap', choices=['avoid', 'allow'], default='avoid',
        help='avoid: objects are placed clear of each other where they can '
        'be, so that every shape is seen whole; allow: free poses, objects '
        'occlude each other')
    parser.add_argument('--captions-per-class', type=int, default=300)
    parser.add_argument('--val-captions-per-class', type=int, default=50)
    parser.add_argument('--crop-size', type=int, default=64,
                        help='side of the caption crops')
    parser.add_argument(
        '--masked-fraction', type=float, default=0.5,
        help='fraction of caption crops in the re-classifier style '
        '(tight box, CLIP mean colour outside the object)')
    parser.add_argument(
        '--max-mask-stride', type=int, default=12,
        help='masked crops cut along the object mask coarsened at a stride '
        'drawn from 1 to this (in canvas pixels), as a segmenter predicts '
        'it; 1: the exact mask')
    parser.add_argument(
        '--workers', type=int, default=1,
        help='processes writing samples (the output does not depend on it)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = vars(parse_args(argv))
    out = args.pop('out')
    try:
        generate(out, **args)
    except ManifestMismatchError as error:
        print(f'error: {error}', file=sys.stderr)
        return 2
    print(f'synthetic benchmark written to {out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
