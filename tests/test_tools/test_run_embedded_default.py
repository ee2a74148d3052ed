# Copyright (c) mmzs3 contributors. All rights reserved.
"""``tools/run_embedded_default.py --quick``: every stage, the table, the
images, and a second invocation that resumes instead of starting over."""
import ast
import glob
import importlib.util
import math
import os
import os.path as osp
import subprocess
import sys

import numpy as np
from mmengine.config import Config
from PIL import Image

from mmzs3.datasets.synthetic_shapes_dataset import (SYNTHETIC_SEEN_CLASSES,
                                                     SYNTHETIC_UNSEEN_CLASSES)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO_ROOT, 'tools', 'run_embedded_default.py')
ROW_TITLES = ('ZegFormer seg-only', 'ZegFormer img-only', 'ZegFormer fused',
              'Pixel-level baseline', 'Chance (uniform random pixels)')


def load_script():
    spec = importlib.util.spec_from_file_location('run_embedded', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_quick(work_dir: str) -> str:
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    proc = subprocess.run(
        [sys.executable, SCRIPT, '--quick', '--work-dir', work_dir],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:]
    return proc.stdout


def table_rows(log: str) -> dict:
    """Rows of the printed results table: title -> three numbers."""
    rows = {}
    for line in log.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) == 4 and cells[0] in ROW_TITLES:
            rows[cells[0]] = [float(c) for c in cells[1:]]
    return rows


def class_rows(log: str) -> dict:
    """Rows of the printed per-class table: class -> (split, 4 cells)."""
    rows = {}
    for line in log.splitlines():
        cells = [c.strip() for c in line.strip().strip('|').split('|')]
        if len(cells) == 6 and cells[1] in ('seen', 'unseen'):
            rows[cells[0]] = (cells[1], cells[2:])
    return rows


def test_quick_run_and_resume(tmp_path):
    work_dir = str(tmp_path / 'embedded')
    log = run_quick(work_dir)
    for stage in range(1, 8):
        assert f'{stage}/7' in log
    rows = table_rows(log)
    assert set(rows) == set(ROW_TITLES)
    for values in rows.values():
        assert all(math.isfinite(v) and 0 <= v <= 100 for v in values)
    chance = rows['Chance (uniform random pixels)']
    assert 0 < chance[1] < 100 / 16 * 2

    # The per-class table lists all 16 classes with their split, and its
    # seen / unseen means reproduce the summary table's (same predictions).
    per_class = class_rows(log)
    assert {n: s for n, (s, _) in per_class.items()} == {
        **{n: 'seen' for n in SYNTHETIC_SEEN_CLASSES},
        **{n: 'unseen' for n in SYNTHETIC_UNSEEN_CLASSES}}
    for column, title in enumerate(ROW_TITLES[:4]):
        for split, position in (('seen', 0), ('unseen', 1)):
            values = [float(cells[column])
                      for s, cells in per_class.values()
                      if s == split and cells[column] != 'absent']
            if values:
                mean = sum(values) / len(values)
                assert abs(mean - rows[title][position]) < 0.02, title
    with open(osp.join(work_dir, 'results.md')) as f:
        text = f.read()
    assert text.count('| Chance (uniform random pixels) |') == 1
    assert text.count('| yellow star | unseen |') == 1
    assert '| total |' in text

    images = glob.glob(osp.join(work_dir, 'vis', '*.png'))
    assert len(images) == 2
    for image in images:
        assert image in log
        width, height = Image.open(image).size
        # ground truth | prediction, each panel 384 px plus its legend
        assert height >= 384 and width >= 2 * 384

    # Second invocation: finished stages are skipped, a removed stage
    # (the baseline evaluation) runs again, the tables are the same.
    os.remove(osp.join(work_dir, '.done', 'eval_baseline.json'))
    log2 = run_quick(work_dir)
    assert '$ tools/train.py' not in log2
    assert '$ tools/dataset_converters' not in log2
    assert log2.count('$ tools/test.py') == 1
    assert log2.count('done already') == 8
    assert table_rows(log2) == rows
    assert class_rows(log2) == per_class


def test_chance_level_is_uniform_guessing(tmp_path):
    """Hand-computed: one image with 1024 pixels of class 0 (unseen), the
    rest ignored. Uniform guesses over 16 classes give class 0 an IoU of
    about 1/16 (union = its 1024 pixels); the other 15 classes are only
    predicted, IoU 0. So mIoU_unseen ~ (1/16) / 4 and mIoU_seen = 0."""
    module = load_script()
    ann_dir = tmp_path / 'ann_dir' / 'val'
    ann_dir.mkdir(parents=True)
    label = np.full((64, 64), 255, dtype=np.uint8)
    label[:32, :32] = 0  # 'red circle', unseen
    Image.fromarray(label).save(str(ann_dir / '000000.png'))
    metrics = module.chance_metrics(str(tmp_path), seed=0)
    assert abs(metrics['mIoU_unseen'] - 100 / 16 / 4) < 0.6
    assert metrics['mIoU_seen'] == 0.0
    assert metrics['hIoU'] == 0.0


def test_dataset_base_lists_the_benchmark_split():
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs/_base_/datasets/synthetic_shapes.py'))
    assert tuple(cfg.synthetic_seen_classes) == SYNTHETIC_SEEN_CLASSES
    assert tuple(cfg.synthetic_unseen_classes) == SYNTHETIC_UNSEEN_CLASSES


def test_time_table_counts_side_by_side_stages_once():
    script = load_script()
    seconds = dict(data=60, clip=240, backbone=120, zegformer=300,
                   evaluate=60, baseline=330, results=6)
    # one after the other: the sum, 1116 s; side by side: data + the
    # longer pretraining + the longer training (the baseline's, 330 s) +
    # ZegFormer's evaluation + results = 60 + 240 + 330 + 60 + 6 = 696 s
    assert '| total | 18.6 |' in script.format_time_table(seconds)
    side = script.format_time_table(seconds, side_by_side=True)
    assert '| total | 11.6 |' in side
    assert 'counted once' in side
    assert script.job_cores(None, 2) == []
    assert script.job_cores(0, 1) == []


def test_side_by_side_tools_run_on_their_slot_cores(tmp_path):
    """Each side-by-side tool runs pinned to its own half of the cores."""
    script = load_script()
    pipeline = script.Pipeline(str(tmp_path), seed=0, quick=True, jobs=2)
    probe = 'import os; print(sorted(os.sched_getaffinity(0)))'

    def step(name):
        return lambda: pipeline.run_tool(['-c', probe], log_name=name)

    pipeline.side_by_side(step('slot0'), step('slot1'))
    seen = []
    for slot in (0, 1):
        with open(tmp_path / 'logs' / f'slot{slot}.log') as f:
            seen.append(ast.literal_eval(f.read()))
    available = sorted(os.sched_getaffinity(0))
    half = len(available) // 2
    if half:
        assert seen == [available[:half], available[half:2 * half]]
    else:
        assert seen == [available, available]
