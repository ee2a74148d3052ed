# Copyright (c) mmzs3 contributors. All rights reserved.
"""SIGKILL a CPU training run at many points; ``--resume`` loses nothing.

``kill_points.py`` makes the training process kill itself at exact points
(inside an optimizer step, half-way through writing a checkpoint or the
``last_checkpoint`` pointer); one more run is killed from outside after a
seeded random delay. Each interrupted run is resumed with ``--resume`` and
must end with the weights of an uninterrupted run (fixed seed, CPU).
"""
import os
import os.path as osp
import random
import signal
import subprocess
import sys
import time

import pytest

from mmzs3.utils import safe_torch_load
from ..conftest import REPO_ROOT
from ..train_helpers import (TRAIN_PY, assert_same_weights, data_options,
                             run_train, write_config)

KILL_MODULE = 'tests.test_tools.kill_points'
MMSEG_STYLE_TRAIN = osp.join(osp.dirname(osp.abspath(__file__)),
                             'mmseg_style_train.py')
# (kill point, the checkpoint --resume must pick, or None for a fresh start)
KILL_POINTS = [
    ('step:2', None),  # inside the 2nd step, before any checkpoint
    ('write:iter_2.pth#1', None),  # half-way through the 1st checkpoint
    ('write:last_checkpoint#1', None),  # checkpoint done, pointer torn
    ('step:4', 'iter_2.pth'),  # inside a step after a checkpoint
    ('write:iter_4.pth#1', 'iter_2.pth'),  # torn 2nd checkpoint
    ('write:last_checkpoint#2', 'iter_2.pth'),  # torn 2nd pointer
]


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    """An uninterrupted run: (data root, config, final checkpoint)."""
    from ..conftest import write_seg_dataset
    root = tmp_path_factory.mktemp('interrupted')
    data_root = write_seg_dataset(str(root / 'data'))
    config = write_config(str(root), imports=('mmzs3', KILL_MODULE))
    result = run_train(config, str(root / 'full'), data_root)
    assert result.returncode == 0, result.stderr[-3000:]
    return data_root, config, str(root / 'full' / 'iter_6.pth')


def _resume_and_compare(reference, work_dir: str, picked) -> None:
    data_root, config, final = reference
    resumed = run_train(config, work_dir, data_root, '--resume')
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-3000:]
    if picked is None:
        assert 'Did not find last_checkpoint' in log
    else:
        line = next(x for x in log.splitlines() if 'Auto resumed' in x)
        assert line.rstrip('.').endswith(osp.join(work_dir, picked))
        assert f'resumed from the latest checkpoint {work_dir}' in log
    assert_same_weights(final, osp.join(work_dir, 'iter_6.pth'))


@pytest.mark.timeout(600)
@pytest.mark.parametrize('kill_at,picked', KILL_POINTS)
def test_resume_after_self_kill(reference, tmp_path, kill_at, picked):
    data_root, config, _ = reference
    work_dir = str(tmp_path / 'cut')
    killed = run_train(config, work_dir, data_root,
                       env=dict(MMZS3_KILL_AT=kill_at))
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    assert not osp.exists(osp.join(work_dir, 'iter_6.pth'))
    for name in os.listdir(work_dir):
        if name.endswith('.pth'):  # every checkpoint under its name loads
            safe_torch_load(osp.join(work_dir, name))
    _resume_and_compare(reference, work_dir, picked)


@pytest.mark.timeout(600)
def test_resume_after_external_kill_at_random_time(reference, tmp_path):
    data_root, config, _ = reference
    work_dir = str(tmp_path / 'cut')
    proc = subprocess.Popen(
        [
            sys.executable, TRAIN_PY, config, '--work-dir', work_dir,
            '--cfg-options', *data_options(data_root)
        ],
        cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=REPO_ROOT),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # once the log folder exists training is seconds away; die at a random
    # (seeded) moment among the checkpoints
    while not any(osp.isdir(osp.join(work_dir, d))
                  for d in (os.listdir(work_dir)
                            if osp.isdir(work_dir) else [])):
        assert proc.poll() is None, 'training ended before it started'
        time.sleep(0.02)
    time.sleep(random.Random(0).uniform(0.5, 2.0))
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, 'the run ended before the kill'
    pointer = osp.join(work_dir, 'last_checkpoint')
    picked = None
    if osp.exists(pointer):
        with open(pointer) as f:
            picked = osp.basename(f.read().strip())
    _resume_and_compare(reference, work_dir, picked)


def _mmseg_style_train(config: str, work_dir: str, data_root: str,
                       *extra: str) -> subprocess.CompletedProcess:
    """``mmseg_style_train.py`` (mmseg's tools/train.py calls) in a fresh
    interpreter: the config's ``custom_imports`` alone decide the I/O."""
    return subprocess.run(
        [
            sys.executable, MMSEG_STYLE_TRAIN, config, '--work-dir',
            work_dir, *extra, '--cfg-options', *data_options(data_root)
        ],
        cwd=REPO_ROOT, env=dict(os.environ, PYTHONPATH=REPO_ROOT),
        capture_output=True, text=True, timeout=600)


@pytest.mark.timeout(1800)
def test_resume_with_mmseg_style_runner(tmp_path, tiny_seg_dataset):
    """Config.fromfile -> Runner.from_cfg -> train(resume=True) on this
    torch resumes with the documented opt-in line, and not without it."""
    opt_in = write_config(str(tmp_path / 'opt_in'),
                          imports=('mmzs3', 'mmzs3.utils.safe_io_patch'))
    plain = write_config(str(tmp_path / 'plain'))
    work_dir = str(tmp_path / 'work')
    first = _mmseg_style_train(opt_in, work_dir, tiny_seg_dataset,
                               '--cfg-options', 'train_cfg.max_iters=2')
    assert first.returncode == 0, first.stderr[-3000:]

    refused = _mmseg_style_train(plain, work_dir, tiny_seg_dataset,
                                 '--resume')
    assert refused.returncode != 0
    assert 'Weights only load failed' in refused.stderr, \
        refused.stderr[-3000:]
    assert not osp.exists(osp.join(work_dir, 'iter_4.pth'))

    resumed = _mmseg_style_train(opt_in, work_dir, tiny_seg_dataset,
                                 '--resume')
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-3000:]
    assert (f'resumed from the latest checkpoint '
            f'{osp.join(work_dir, "iter_2.pth")}') in log
    final = safe_torch_load(osp.join(work_dir, 'iter_6.pth'))
    assert final['meta']['iter'] == 6
