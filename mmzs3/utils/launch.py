# Copyright (c) mmzs3 contributors. All rights reserved.
"""Shared set-up of ``tools/train.py`` and ``tools/test.py``."""
import argparse
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


def load_config(args: argparse.Namespace) -> Config:
    """The config of a run from the tools' common arguments.

    Args:
        args (argparse.Namespace): With ``config``, ``launcher``,
            ``cfg_options`` and ``work_dir``.

    Returns:
        Config: The config file with ``--cfg-options`` merged, the
        launcher set and the work dir chosen (``--work-dir``, else the
        config's, else :func:`default_work_dir`).
    """
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = default_work_dir(args.config)
    return cfg


#: Optimizer-wrapper keys that only ``AmpOptimWrapper`` takes.
AMP_ONLY_KEYS = ('loss_scale', 'dtype', 'use_fsdp')


def set_amp(cfg: Config, enabled: bool) -> None:
    """Switch the optimizer wrapper between ``OptimWrapper`` and
    ``AmpOptimWrapper`` (``--amp`` / ``--no-amp``).

    Switching off also drops the AMP-only keys: ``OptimWrapper`` takes no
    ``loss_scale``, so ``--cfg-options optim_wrapper.type=OptimWrapper``
    alone cannot do it.

    Args:
        cfg (Config): The training config, changed in place.
        enabled (bool): True for mixed precision, False for float32.

    Raises:
        ValueError: If the wrapper is neither of the two.
    """
    target, source = 'OptimWrapper', 'AmpOptimWrapper'
    if enabled:
        target, source = source, target
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper == target:
        state = 'enabled' if enabled else 'disabled'
        print_log(f'AMP training is already {state} in the config.',
                  logger='current', level=logging.WARNING)
        return
    if wrapper != source:
        flag = '--amp' if enabled else '--no-amp'
        raise ValueError(f'{flag} needs optim_wrapper.type "{source}", '
                         f'but the config has "{wrapper}"')
    cfg.optim_wrapper.type = target
    if enabled:
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
        return
    for key in AMP_ONLY_KEYS:
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


def close_distributed() -> None:
    """Destroy the default process group once a run has finished.

    Neither mmengine's runner nor its ``init_dist`` destroys the group.
    Left to the interpreter's exit, gloo's background threads can be torn
    down while still joinable, and the process then aborts
    (``terminate called without an active exception``, SIGABRT) after a
    successful run. The barrier lets every rank finish its last collective
    before any of them closes the group. Without a process group this does
    nothing.
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def set_local_rank(local_rank: Optional[int]) -> None:
    """Export ``LOCAL_RANK`` for launchers that pass it as an argument."""
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(local_rank or 0)


def parse_with_launcher(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """Add the launcher arguments of mmengine's tools, parse, and export
    ``LOCAL_RANK`` (:func:`set_local_rank`).

    Args:
        parser (argparse.ArgumentParser): A tool's parser.

    Returns:
        argparse.Namespace: The parsed arguments.
    """
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    set_local_rank(args.local_rank)
    return args
