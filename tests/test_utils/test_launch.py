# Copyright (c) mmzs3 contributors. All rights reserved.
"""--amp / --no-amp of tools/train.py, the clear error without a GPU, and
the teardown of the process group."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.optim import OptimWrapper, build_optim_wrapper

from mmzs3.utils.launch import check_amp_device, close_distributed, set_amp
from ..conftest import REPO_ROOT

R50_COCO = osp.join(REPO_ROOT, 'configs', 'zegformer', 'zegformer_r50_coco.py')


def test_no_amp_turns_the_coco_recipe_into_a_float32_wrapper(monkeypatch):
    cfg = Config.fromfile(R50_COCO)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ValueError, match='zegformer_r50_coco.py.*--no-amp'):
        check_amp_device(cfg, R50_COCO)
    set_amp(cfg, enabled=False)
    check_amp_device(cfg, R50_COCO)
    assert 'loss_scale' not in cfg.optim_wrapper
    assert cfg.optim_wrapper.clip_grad == dict(max_norm=0.01, norm_type=2)
    wrapper = build_optim_wrapper(
        torch.nn.Linear(2, 2),
        dict(type=cfg.optim_wrapper.type,
             optimizer=cfg.optim_wrapper.optimizer,
             clip_grad=cfg.optim_wrapper.clip_grad))
    assert type(wrapper) is OptimWrapper
    assert wrapper.optimizer.defaults['lr'] == 1e-4
    set_amp(cfg, enabled=True)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    check_amp_device(cfg, R50_COCO)


def test_train_without_gpu_stops_with_the_fix_in_the_message():
    no_gpu = dict(os.environ, CUDA_VISIBLE_DEVICES='')
    result = subprocess.run(
        [sys.executable, 'tools/train.py', R50_COCO, '--work-dir',
         '/nonexistent/never-created'],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env=no_gpu)
    assert result.returncode != 0
    assert 'needs a GPU' in result.stderr and '--no-amp' in result.stderr
    assert not osp.exists('/nonexistent/never-created')
    both = subprocess.run(
        [sys.executable, 'tools/train.py', R50_COCO, '--amp', '--no-amp'],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert both.returncode == 2 and 'not allowed with' in both.stderr


def test_close_distributed_destroys_the_group_and_is_a_no_op_without_one(
        tmp_path):
    close_distributed()  # no group: nothing to do, no error
    store = dist.FileStore(str(tmp_path / 'store'), 1)
    dist.init_process_group('gloo', store=store, rank=0, world_size=1)
    assert dist.is_initialized()
    close_distributed()
    assert not dist.is_initialized()
