# Copyright (c) mmzs3 contributors. All rights reserved.
"""End-to-end tests of tools/train.py: resume after SIGKILL, CPU dist."""
import os
import os.path as osp
import signal
import socket
import subprocess
import time

import pytest
import torch

from ..conftest import REPO_ROOT

TINY_CFG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'tiny_fcn.py')


def _data_options(data_root: str) -> list:
    return [
        f'{loader}.dataset.data_root={data_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]


def _train_cmd(python: str, work_dir: str, data_root: str,
               *extra: str) -> list:
    return [
        python, osp.join(REPO_ROOT, 'tools', 'train.py'), TINY_CFG,
        '--work-dir', work_dir, *extra, '--cfg-options',
        *_data_options(data_root)
    ]


def _weights(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)[
        'state_dict']


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.timeout(600)
def test_resume_after_sigkill_matches_uninterrupted_run(
        tmp_path, tiny_seg_dataset, python_exe):
    full_dir = str(tmp_path / 'full')
    subprocess.run(
        _train_cmd(python_exe, full_dir, tiny_seg_dataset),
        check=True, cwd=REPO_ROOT, capture_output=True)

    cut_dir = str(tmp_path / 'cut')
    proc = subprocess.Popen(
        _train_cmd(python_exe, cut_dir, tiny_seg_dataset), cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not osp.exists(osp.join(cut_dir, 'last_checkpoint')):
        assert proc.poll() is None, 'training ended before its checkpoint'
        assert time.time() < deadline, 'no checkpoint within 300 s'
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not osp.exists(osp.join(cut_dir, 'iter_6.pth'))

    resumed = subprocess.run(
        _train_cmd(python_exe, cut_dir, tiny_seg_dataset, '--resume'),
        cwd=REPO_ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed' in (resumed.stdout + resumed.stderr).lower()
    expected = _weights(osp.join(full_dir, 'iter_6.pth'))
    actual = _weights(osp.join(cut_dir, 'iter_6.pth'))
    assert expected.keys() == actual.keys()
    for key in expected:
        assert torch.equal(expected[key], actual[key]), key


@pytest.mark.timeout(600)
def test_dist_train_two_cpu_processes(tmp_path, tiny_seg_dataset,
                                      python_exe):
    work_dir = str(tmp_path / 'dist')
    env = dict(os.environ, PYTHON=python_exe, PORT=str(_free_port()))
    result = subprocess.run(
        [
            'bash',
            osp.join(REPO_ROOT, 'tools', 'dist_train.sh'), TINY_CFG, '2',
            '--work-dir', work_dir, '--cfg-options',
            'train_cfg.max_iters=2', *_data_options(tiny_seg_dataset)
        ],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    assert 'Distributed launcher: pytorch' in log
    assert 'Distributed training: True' in log
    checkpoints = [f for f in os.listdir(work_dir) if f.endswith('.pth')]
    assert checkpoints == ['iter_2.pth']
