# Copyright (c) mmzs3 contributors. All rights reserved.
import csv
import glob
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from mmzs3.datasets.synthetic_shapes_dataset import (SYNTHETIC_CLASSES,
                                                     SYNTHETIC_SEEN_CLASSES,
                                                     SYNTHETIC_UNSEEN_CLASSES)
from ..synthetic_benchmark import TINY_ARGS


def read_tree(root):
    """{relative path: bytes} of every file under ``root``."""
    files = {}
    for path in sorted(glob.glob(osp.join(root, '**', '*'), recursive=True)):
        if osp.isfile(path):
            with open(path, 'rb') as f:
                files[osp.relpath(path, root)] = f.read()
    return files


def train_labels(root):
    return [
        np.asarray(Image.open(p))
        for p in sorted(glob.glob(osp.join(root, 'ann_dir/train/*.png')))
    ]


def test_vocabulary_is_a_latin_square_split():
    assert len(SYNTHETIC_CLASSES) == 16
    assert SYNTHETIC_UNSEEN_CLASSES == ('red circle', 'green square',
                                        'blue triangle', 'yellow star')
    assert len(SYNTHETIC_SEEN_CLASSES) == 12
    for word in ('red', 'green', 'blue', 'yellow', 'circle', 'square',
                 'triangle', 'star'):
        seen = [n for n in SYNTHETIC_SEEN_CLASSES if word in n.split(' ')]
        assert len(seen) == 3, word


def test_shape_vertices_of_a_square(generator):
    vertices = generator.shape_vertices('square', (0.0, 0.0), 1.0, 0.0)
    expected = [(1, 0), (0, 1), (-1, 0), (0, -1)]
    np.testing.assert_allclose(vertices, expected, atol=1e-12)
    with pytest.raises(ValueError, match='hexagon'):
        generator.shape_vertices('hexagon', (0, 0), 1.0, 0.0)


def test_coarse_mask_rounds_corners_like_a_stride_4_head(generator):
    # An 8 x 8 square on the stride-4 grid: its block averages are 1 on the
    # 2 x 2 central blocks. Upsampled bilinearly (half-pixel centres), a
    # corner pixel gets 0.625 * 0.625 = 0.39 < 0.5 and is cut; an edge
    # pixel next to it gets 0.625 * 0.875 = 0.55 and stays.
    square = np.zeros((16, 16), bool)
    square[4:12, 4:12] = True
    expected = square.copy()
    for row, col in ((4, 4), (4, 11), (11, 4), (11, 11)):
        expected[row, col] = False
    np.testing.assert_array_equal(generator.coarse_mask(square, 4), expected)
    np.testing.assert_array_equal(generator.coarse_mask(square, 1), square)


def test_same_seed_same_bytes(tmp_path, generator, tiny_benchmark):
    again = str(tmp_path / 'again')
    generator.generate(again, **TINY_ARGS)
    first, second = read_tree(tiny_benchmark), read_tree(again)
    assert len(first) == 16 * 2 + 2 * 2 + 16 * 2 + 2 + 1
    assert first == second
    other = str(tmp_path / 'other')
    generator.generate(other, **dict(TINY_ARGS, seed=1))
    other_files = read_tree(other)
    assert other_files['img_dir/train/000000.png'] != \
        first['img_dir/train/000000.png']


def test_worker_processes_write_the_same_bytes(tmp_path, generator,
                                              tiny_benchmark):
    parallel = str(tmp_path / 'parallel')
    generator.generate(parallel, workers=2, **TINY_ARGS)
    assert read_tree(parallel) == read_tree(tiny_benchmark)


def test_labels_and_class_coverage(tiny_benchmark):
    labels = train_labels(tiny_benchmark)
    assert labels[0].shape == (32, 32) and labels[0].dtype == np.uint8
    values = set(np.unique(np.stack(labels)).tolist())
    # Background is ignored; every class, unseen included, is labelled.
    assert values == set(range(16)) | {255}
    image = np.asarray(
        Image.open(osp.join(tiny_benchmark, 'img_dir/train/000000.png')))
    assert image.shape == (32, 32, 3)


def test_unseen_objects_can_be_dropped_from_training(tmp_path, generator):
    out = str(tmp_path / 'drop')
    generator.generate(out, **dict(TINY_ARGS, unseen_in_train='drop'))
    values = set(np.unique(np.stack(train_labels(out))).tolist())
    seen_ids = {SYNTHETIC_CLASSES.index(n) for n in SYNTHETIC_SEEN_CLASSES}
    assert values == seen_ids | {255}


def test_caption_set_covers_every_class(tiny_benchmark):
    with open(osp.join(tiny_benchmark, 'captions/train.csv')) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 16
    named = sorted(n for row in rows for n in SYNTHETIC_CLASSES
                   if f' {n}.' in row['caption'])
    assert named == sorted(SYNTHETIC_CLASSES)
    styles = [row['style'] for row in rows]
    assert set(styles) == {'plain', 'masked'}
    for row in rows:
        crop = Image.open(
            osp.join(tiny_benchmark, 'captions', row['filepath']))
        assert crop.size == (32, 32)
    # Image-level data only: no label maps in the caption set.
    assert not glob.glob(osp.join(tiny_benchmark, 'captions/**/ann*'),
                         recursive=True)


def test_resume_rewrites_only_missing_files(generator, tiny_benchmark):
    before = read_tree(tiny_benchmark)
    kept = osp.join(tiny_benchmark, 'img_dir/train/000001.png')
    os.utime(kept, (1, 1))
    os.remove(osp.join(tiny_benchmark, 'img_dir/train/000003.png'))
    os.remove(osp.join(tiny_benchmark, 'captions/val/000005.png'))
    generator.generate(tiny_benchmark, **TINY_ARGS)
    assert read_tree(tiny_benchmark) == before
    assert os.stat(kept).st_mtime == 1


def test_manifest_mismatch_is_refused(generator, tiny_benchmark, capsys):
    with pytest.raises(generator.ManifestMismatchError, match='num_val'):
        generator.generate(tiny_benchmark, **dict(TINY_ARGS, num_val=3))
    argv = ['--out', tiny_benchmark, '--seed', '1', '--size', '32']
    assert generator.main(argv) == 2
    assert 'seed' in capsys.readouterr().err


def test_overlap_avoid_places_objects_clear_of_earlier_ones(generator):
    rng = np.random.default_rng(0)
    taken = np.zeros((64, 64), dtype=bool)
    taken[:, :32] = True  # the left half is occupied
    mask = generator.place_object(rng, 'square', 64, taken, avoid=True)
    assert mask.any()
    assert not (mask & taken).any()
    # 'allow' draws one pose, whatever it covers: over many draws some
    # poses land on the left half.
    hits = [
        (generator.place_object(rng, 'square', 64, taken, avoid=False)
         & taken).any() for _ in range(20)
    ]
    assert any(hits)


def test_overlap_avoid_keeps_every_shape_whole(generator):
    rng = np.random.default_rng(3)
    classes = [0, 5, 10]
    _, label = generator.render_scene(rng, 128, classes, overlap='avoid')
    # Replaying the same generator draws the same masks: every object's
    # visible area is its whole mask when nothing covers it.
    replay = np.random.default_rng(3)
    generator.textured_background(replay, 128)
    taken = np.zeros((128, 128), dtype=bool)
    for class_id in classes:
        colour, shape = SYNTHETIC_CLASSES[class_id].split(' ')
        mask = generator.place_object(replay, shape, 128, taken, True)
        generator.paint(np.zeros((128, 128, 3), np.float32), mask, colour,
                        replay)
        taken |= mask
        assert (label[mask] == class_id).all()
