# Copyright (c) mmzs3 contributors. All rights reserved.
"""Shared set-up of ``tools/train.py`` and ``tools/test.py``."""
import datetime
import logging
import os
import os.path as osp
from typing import Optional

import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log


def default_work_dir(config_path: str) -> str:
    """``./work_dirs/<config name>``, mmseg's default."""
    name = osp.splitext(osp.basename(config_path))[0]
    return osp.join('./work_dirs', name)


def enable_amp(cfg: Config) -> None:
    """Switch the config's optimizer wrapper to ``AmpOptimWrapper``.

    Args:
        cfg (Config): The training config, changed in place.

    Raises:
        ValueError: If the wrapper is neither ``OptimWrapper`` nor already
            ``AmpOptimWrapper``.
    """
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper == 'AmpOptimWrapper':
        print_log('AMP training is already enabled in the config.',
                  logger='current', level=logging.WARNING)
        return
    if wrapper != 'OptimWrapper':
        raise ValueError('--amp needs optim_wrapper.type "OptimWrapper", '
                         f'but the config has "{wrapper}"')
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


def disable_amp(cfg: Config) -> None:
    """Switch an ``AmpOptimWrapper`` back to a float32 ``OptimWrapper``.

    ``OptimWrapper`` takes no ``loss_scale`` or ``dtype``, so a
    ``--cfg-options optim_wrapper.type=OptimWrapper`` alone cannot do this.

    Args:
        cfg (Config): The training config, changed in place.

    Raises:
        ValueError: If the wrapper is neither ``AmpOptimWrapper`` nor
            already ``OptimWrapper``.
    """
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper == 'OptimWrapper':
        print_log('AMP training is already disabled in the config.',
                  logger='current', level=logging.WARNING)
        return
    if wrapper != 'AmpOptimWrapper':
        raise ValueError('--no-amp needs optim_wrapper.type '
                         f'"AmpOptimWrapper", but the config has "{wrapper}"')
    cfg.optim_wrapper.type = 'OptimWrapper'
    for key in ('loss_scale', 'dtype', 'use_fsdp'):
        cfg.optim_wrapper.pop(key, None)


def check_amp_device(cfg: Config, config_path: str) -> None:
    """Refuse AMP training where mmengine's ``AmpOptimWrapper`` cannot run.

    Args:
        cfg (Config): The training config.
        config_path (str): The config file, named in the error.

    Raises:
        ValueError: If the config trains with ``AmpOptimWrapper`` and no
            GPU is visible.
    """
    if cfg.optim_wrapper.get('type') != 'AmpOptimWrapper':
        return
    if torch.cuda.is_available():
        return
    raise ValueError(
        f'{config_path}: optim_wrapper is AmpOptimWrapper (mixed precision), '
        'which needs a GPU, and none is visible; add --no-amp to train in '
        'float32 on the CPU')


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Let the ``pytorch`` launcher run on machines without a GPU.

    mmengine 0.10.7's ``init_dist`` calls ``torch.cuda.set_device``
    unconditionally, and ``Runner.wrap_model`` passes
    ``device_ids=[LOCAL_RANK]``, which DDP refuses for CPU modules. On a
    machine with no GPU this initialises the process group with gloo first
    (mmengine then skips its own initialisation) and wraps the model with
    ``device_ids=None``. With a GPU it does nothing.

    Args:
        cfg (Config): The config, changed in place.
        launcher (str): The ``--launcher`` value.
    """
    if launcher != 'pytorch' or torch.cuda.is_available():
        return
    if not dist.is_initialized():
        timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get(
            'timeout', 1800)
        dist.init_process_group(
            'gloo', timeout=datetime.timedelta(seconds=timeout))
    wrapper_cfg = cfg.get('model_wrapper_cfg') or dict(
        type='MMDistributedDataParallel')
    wrapper_cfg['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper_cfg


def set_local_rank(local_rank: Optional[int]) -> None:
    """Export ``LOCAL_RANK`` for launchers that pass it as an argument."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(local_rank or 0)
