# Copyright (c) mmzs3 contributors. All rights reserved.
"""Odd images through mmseg's ``LoadImageFromFile`` and a model's predict.

Grayscale, RGBA, 16-bit and 1x1 images run in-process through the tiny
ZegFormer (whole and slide mode) and a tiny mmseg FCN. The 6000x6000 image
runs in a fresh process (slide mode, tiny FCN) so that its peak resident
memory can be bounded: the crops bound the network's activations, so the
peak is the interpreter (~0.9 GiB) plus the full-size buffers (uint8 image,
float input, 4 class maps, count map: ~1.6 GiB); 4 GiB leaves margin.
"""
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from PIL import Image

from ...conftest import REPO_ROOT
from .odd_image_inference import predict

NUM_CLASSES = {'fcn': 4, 'zegformer': 5}


def _write(folder, kind: str) -> str:
    rng = np.random.default_rng(0)
    path = str(folder / f'{kind}.png')
    if kind == 'gray':
        Image.fromarray(rng.integers(0, 255, (40, 48), np.uint8)).save(path)
    elif kind == 'rgba':
        Image.fromarray(rng.integers(0, 255, (40, 48, 4), np.uint8),
                        'RGBA').save(path)
    elif kind == 'deep':  # 16 bits per channel
        cv2.imwrite(path, rng.integers(0, 65535, (40, 48, 3), np.uint16))
    else:  # a single pixel
        Image.fromarray(np.array([[[10, 200, 30]]], np.uint8)).save(path)
    return path


@pytest.mark.parametrize('model,mode', [('zegformer', 'whole'),
                                        ('zegformer', 'slide'),
                                        ('fcn', 'whole')])
@pytest.mark.parametrize('kind', ['gray', 'rgba', 'deep', 'one'])
def test_odd_small_images_predict(tmp_path, kind, model, mode):
    path = _write(tmp_path, kind)
    labels = predict(path, model, mode, crop=32)
    assert labels.shape == ((1, 1) if kind == 'one' else (40, 48))
    assert labels.min() >= 0 and labels.max() < NUM_CLASSES[model]


@pytest.mark.timeout(600)
def test_6000_square_image_slide_mode_bounded_memory(tmp_path):
    y, x = np.mgrid[0:6000, 0:6000]
    image = np.stack([(x // 50) % 256, (y // 50) % 256,
                      ((x + y) // 100) % 256], -1).astype(np.uint8)
    path = str(tmp_path / 'huge.png')
    cv2.imwrite(path, image)
    del image, x, y
    result = subprocess.run(
        [sys.executable, '-m',
         'tests.test_models.test_segmentors.odd_image_inference', path,
         'fcn', 'slide', '1500'],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=540)
    assert result.returncode == 0, result.stderr[-3000:]
    fields = dict(f.split('=') for f in result.stdout.split()[-3:])
    assert fields['shape'] == '6000,6000'
    assert set(fields['labels'].split(',')) <= {'0', '1', '2', '3'}
    assert int(fields['peak_mib']) < 4096, fields


def test_unreadable_image_is_a_clear_error(tmp_path):
    path = str(tmp_path / 'broken.png')
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n garbage')
    with pytest.raises(Exception, match=osp.basename(path)):
        predict(path, 'fcn', 'whole')
