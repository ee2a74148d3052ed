# Copyright (c) mmzs3 contributors. All rights reserved.
"""Train a segmentor with mmengine's runner (mmseg's arguments)."""
import argparse

from mmengine.config import DictAction
from mmengine.runner import Runner

from mmzs3.registry import RUNNERS
from mmzs3.utils import enable_safe_io
from mmzs3.utils.launch import (check_amp_device, close_distributed,
                                load_config, parse_with_launcher, set_amp,
                                setup_cpu_distributed)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a segmentor')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        action='store_true',
        help='resume from the latest complete checkpoint in the work dir')
    amp = parser.add_mutually_exclusive_group()
    amp.add_argument(
        '--amp', action='store_true', help='enable mixed-precision training')
    amp.add_argument(
        '--no-amp',
        action='store_true',
        help='train in float32 even if the config enables mixed precision '
        '(needed without a GPU)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, as key=value pairs (lists: '
        'key="[a,b]" or key=a,b; no white space)')
    return parse_with_launcher(parser)


def main() -> None:
    args = parse_args()
    # safe, atomic checkpoint I/O and the class-list reader (the opt-in that
    # ``import mmzs3`` does not make; see docs/reliability.md)
    enable_safe_io()
    cfg = load_config(args)
    if args.amp or args.no_amp:
        set_amp(cfg, enabled=args.amp)
    check_amp_device(cfg, args.config)
    cfg.resume = args.resume
    setup_cpu_distributed(cfg, args.launcher)
    if 'runner_type' in cfg:
        runner = RUNNERS.build(cfg)
    else:
        runner = Runner.from_cfg(cfg)
    runner.train()
    close_distributed()


if __name__ == '__main__':
    main()
