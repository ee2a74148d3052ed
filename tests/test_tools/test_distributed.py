# Copyright (c) mmzs3 contributors. All rights reserved.
"""Two gloo CPU processes: same metrics as one; a failing rank ends all.

The subprocess timeouts below bound the wait: a hung job fails the test
with ``TimeoutExpired`` instead of blocking the suite.
"""
import glob
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest

from ..conftest import REPO_ROOT, write_seg_dataset
from ..train_helpers import data_options, run_train, write_config

FAILING_RANK_MODULE = 'tests.test_tools.failing_rank'


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _env() -> dict:
    return dict(os.environ, PYTHON=sys.executable, PYTHONPATH=REPO_ROOT,
                PORT=str(_free_port()))


def _test_metrics(work_dir: str) -> dict:
    found = glob.glob(osp.join(work_dir, '*', '*.json'))
    assert len(found) == 1, found
    with open(found[0]) as f:
        return json.load(f)


@pytest.mark.timeout(600)
def test_two_process_evaluation_equals_one_process(tmp_path):
    # 5 images: the distributed sampler pads rank 1 with a repeated sample,
    # which the evaluator must drop again
    data_root = write_seg_dataset(str(tmp_path / 'data'), num_images=5)
    config = write_config(str(tmp_path))
    trained = run_train(config, str(tmp_path / 'train'), data_root,
                        options=('train_cfg.max_iters=2', ))
    assert trained.returncode == 0, trained.stderr[-3000:]
    checkpoint = str(tmp_path / 'train' / 'iter_2.pth')
    common = [config, checkpoint]
    options = ['--cfg-options', *data_options(data_root)]
    single = subprocess.run(
        [sys.executable, osp.join(REPO_ROOT, 'tools', 'test.py'), *common,
         '--work-dir', str(tmp_path / 'one'), *options],
        cwd=REPO_ROOT, env=_env(), capture_output=True, text=True,
        timeout=300)
    assert single.returncode == 0, single.stderr[-3000:]
    double = subprocess.run(
        ['bash', osp.join(REPO_ROOT, 'tools', 'dist_test.sh'), *common, '2',
         '--work-dir', str(tmp_path / 'two'), *options],
        cwd=REPO_ROOT, env=_env(), capture_output=True, text=True,
        timeout=300)
    log = double.stdout + double.stderr
    assert double.returncode == 0, log[-3000:]
    assert 'Distributed launcher: pytorch' in log
    one, two = _test_metrics(str(tmp_path / 'one')), _test_metrics(
        str(tmp_path / 'two'))
    for key in ('aAcc', 'mIoU', 'mAcc'):
        assert one[key] == two[key], key


@pytest.mark.timeout(600)
def test_failing_rank_ends_the_whole_job(tmp_path):
    data_root = write_seg_dataset(str(tmp_path / 'data'))
    config = write_config(
        str(tmp_path),
        'custom_hooks = [dict(type="TestRaiseOnRankHook", rank=1)]\n',
        imports=('mmzs3', FAILING_RANK_MODULE))
    result = subprocess.run(
        ['bash', osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), config, '2',
         '--work-dir', str(tmp_path / 'work'), '--cfg-options',
         *data_options(data_root)],
        cwd=REPO_ROOT, env=_env(), capture_output=True, text=True,
        timeout=240)
    log = result.stdout + result.stderr
    assert result.returncode != 0, log[-3000:]
    assert 'rank 1 fails on purpose' in log
    assert not osp.exists(tmp_path / 'work' / 'iter_6.pth')
