# Copyright (c) mmzs3 contributors. All rights reserved.
"""Shared helpers of the reliability tests."""
import os
import os.path as osp
import subprocess
import sys
from typing import Dict, List, Optional

import torch

from .conftest import REPO_ROOT

TINY_CFG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'tiny_fcn.py')
TRAIN_PY = osp.join(REPO_ROOT, 'tools', 'train.py')


def data_options(data_root: str) -> List[str]:
    """``--cfg-options`` pointing every loader of the tiny config at data."""
    return [
        f'{loader}.dataset.data_root={data_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ]


def write_config(folder: str, extra: str = '',
                 imports: tuple = ('mmzs3', )) -> str:
    """A config inheriting the tiny one, with ``extra`` lines appended."""
    path = osp.join(folder, 'cfg.py')
    os.makedirs(folder, exist_ok=True)
    with open(path, 'w') as f:
        f.write(f'_base_ = [{TINY_CFG!r}]\n'
                f'custom_imports = dict(imports={list(imports)!r}, '
                'allow_failed_imports=False)\n' + extra)
    return path


def run_train(config: str, work_dir: str, data_root: str, *extra: str,
              options: tuple = (),
              env: Optional[Dict[str, str]] = None,
              timeout: int = 300) -> subprocess.CompletedProcess:
    """Run ``tools/train.py`` in a fresh interpreter and wait for it.

    ``extra`` are command-line flags, ``options`` more ``--cfg-options``.
    """
    full_env = dict(os.environ, PYTHONPATH=REPO_ROOT, **(env or {}))
    return subprocess.run(
        [
            sys.executable, TRAIN_PY, config, '--work-dir', work_dir, *extra,
            '--cfg-options', *data_options(data_root),
            *options
        ],
        cwd=REPO_ROOT, env=full_env, capture_output=True, text=True,
        timeout=timeout)


def weights(path: str) -> Dict[str, torch.Tensor]:
    """The model weights of a checkpoint file."""
    return torch.load(path, map_location='cpu', weights_only=False)[
        'state_dict']


def assert_same_weights(expected: str, actual: str) -> None:
    """Assert two checkpoints hold bit-identical model weights."""
    want, got = weights(expected), weights(actual)
    assert want.keys() == got.keys()
    for key in want:
        assert torch.equal(want[key], got[key]), key
