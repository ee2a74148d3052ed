# Copyright (c) mmzs3 contributors. All rights reserved.
"""docs/custom_dataset.md, run as written on a generated dataset.

The ``shell`` blocks of the page are parsed out and run in order with
``bash``; the paths come from the four environment variables the page's
first block exports (DATA, WORK, CLIP_WEIGHTS, ITERS), so the page and this
test cannot drift apart. The dataset has six classes and no ``cat`` in its
validation images (``cat`` is unseen): hIoU must stay defined and the log
must name ``cat`` as absent. CLIP is the tiny architecture with random
weights, trained for 2 iterations.
"""
import math
import os
import os.path as osp
import re
import subprocess
import sys
from typing import Dict, List

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmzs3.models.utils.open_clip_utils import build_open_clip
from ..conftest import REPO_ROOT

PAGE = osp.join(REPO_ROOT, 'docs', 'custom_dataset.md')
PLACEHOLDERS = ('DATA', 'WORK', 'CLIP_WEIGHTS', 'ITERS')
CLASSES = ('sky', 'building', 'road', 'tree', 'car', 'cat')
CAT = CLASSES.index('cat')
ITERS = 2


def shell_blocks(path: str) -> List[str]:
    """The ``shell`` code blocks of a Markdown page, in order."""
    with open(path, encoding='utf-8') as f:
        return re.findall(r'^```shell\n(.*?)^```', f.read(), re.M | re.S)


def write_dataset(root: str, seed: int = 0) -> None:
    """Four training and two validation images, 64x64, 8x8 blocks of the
    six classes plus ignored (255) pixels; no cat in validation."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(0, 255, (len(CLASSES) + 1, 3))
    with open(osp.join(root, 'classes.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(CLASSES) + '\n')
    for split, num in (('train', 4), ('val', 2)):
        for sub in ('img_dir', 'ann_dir'):
            os.makedirs(osp.join(root, sub, split))
        for i in range(num):
            high = len(CLASSES) if split == 'train' else CAT
            label = np.kron(
                rng.integers(0, high, (8, 8)), np.ones((8, 8), np.int64))
            label[0, :8] = 255
            image = colours[np.minimum(label, len(CLASSES))]
            image = np.clip(image + rng.normal(0, 8, image.shape), 0, 255)
            Image.fromarray(image.astype(np.uint8)).save(
                osp.join(root, 'img_dir', split, f'{i:04d}.jpg'))
            Image.fromarray(label.astype(np.uint8)).save(
                osp.join(root, 'ann_dir', split, f'{i:04d}.png'))


def write_random_clip(path: str) -> None:
    """The tiny CLIP architecture of the model config, random weights."""
    clip = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', '_base_', 'clip', 'tiny_clip.py'))
    torch.manual_seed(0)
    model = build_open_clip(clip.clip_model_name, clip.clip_model_cfg)
    torch.save(model.state_dict(), path)


def run_block(block: str, env: Dict[str, str]) -> str:
    proc = subprocess.run(['bash', '-euo', 'pipefail', '-c', block],
                          cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, f'$ {block}\n{proc.stdout[-4000:]}'
    return proc.stdout


def metric(log: str, key: str) -> float:
    """The last ``key: value`` of an mmengine log."""
    return float(re.findall(rf'\b{key}: (\S+)', log)[-1])


@pytest.mark.timeout(600)
def test_custom_dataset_page_end_to_end(tmp_path):
    blocks = shell_blocks(PAGE)
    exports = dict(
        re.match(r'export (\w+)=(\S+)$', line).groups()
        for line in blocks[0].splitlines())
    assert tuple(exports) == PLACEHOLDERS, blocks[0]
    data, work = tmp_path / 'my_dataset', tmp_path / 'work'
    data.mkdir()
    write_dataset(str(data))
    write_random_clip(str(tmp_path / 'clip.bin'))
    env = dict(
        os.environ,
        DATA=str(data),
        WORK=str(work),
        CLIP_WEIGHTS=str(tmp_path / 'clip.bin'),
        ITERS=str(ITERS),
        PATH=osp.dirname(sys.executable) + os.pathsep + os.environ['PATH'],
        PYTHONPATH=REPO_ROOT,
        OMP_NUM_THREADS='1')  # tiny models: threads only contend
    logs = {}
    for block in blocks[1:]:
        tool = re.search(r'tools/([\w/]+)\.py', block).group(1)
        logs.setdefault(tool, []).append(run_block(block, env))
    assert {tool: len(runs) for tool, runs in logs.items()} == {
        'dataset_converters/make_zs_split': 3,
        'misc/check_dataset': 1,
        'train': 1,
        'test': 1,
        'demo/image_demo': 1
    }

    # the split by names, and the seeded draw (tree and car for seed 0)
    for out, unseen in ((work, 'cat'), (work / 'drawn', 'car')):
        rows = (out / 'split.tsv').read_text().splitlines()
        assert [r for r in rows if r.endswith('\tunseen')] == [
            '3\ttree\tunseen', f'{CLASSES.index(unseen)}\t{unseen}\tunseen'
        ]
    r50 = Config.fromfile(str(work / 'r50' / 'config.py'))
    assert r50.model.decode_head.num_queries == 100
    assert r50.crop_size == (512, 512)

    verdicts = re.findall(r'^(\d+) problem\(s\) in the (\w+) split',
                          logs['misc/check_dataset'][0], re.M)
    assert verdicts == [('0', 'train'), ('0', 'val')]

    assert (work / 'train' / f'iter_{ITERS}.pth').is_file()
    log = logs['test'][0]
    for key in ('mIoU_seen', 'mIoU_unseen', 'hIoU'):
        assert math.isfinite(metric(log, key)), key
    assert re.search(r"have no ground-truth pixels in the evaluated "
                     r"images: 'cat' \(unseen; ", log), log
    row = next(line for line in log.splitlines()
               if re.match(r'\|\s+cat\s+\|', line))
    cells = [c.strip() for c in row.strip('|').split('|')]
    assert cells[1] == 'unseen' and cells[3] == 'absent'
    assert cells[2] == 'absent' or float(cells[2]) == 0.0

    assert 'overlay written to' in logs['demo/image_demo'][0]
    overlay = np.asarray(Image.open(work / 'demo.png'))
    assert overlay.shape[0] >= 64 and overlay.shape[2] == 3
