# Copyright (c) mmzs3 contributors. All rights reserved.
"""Test (and evaluate) a segmentor with mmengine's runner."""
import argparse

from mmengine.config import Config, DictAction
from mmengine.runner import Runner

from mmzs3.utils import enable_safe_io
from mmzs3.utils.launch import (close_distributed, load_config,
                                parse_with_launcher, setup_cpu_distributed)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a segmentor')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the dir where metrics are dumped as json')
    parser.add_argument(
        '--out', help='the dir to save predicted label maps as PNG files')
    parser.add_argument(
        '--show', action='store_true', help='show prediction results')
    parser.add_argument(
        '--show-dir', help='the dir to save painted prediction images')
    parser.add_argument(
        '--wait-time', type=float, default=2, help='the interval of show (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, as key=value pairs')
    return parse_with_launcher(parser)


def enable_visualization(cfg: Config, args: argparse.Namespace) -> None:
    """Turn on the config's ``SegVisualizationHook`` for --show/--show-dir."""
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise RuntimeError('--show/--show-dir need default_hooks.'
                           'visualization=dict(type="SegVisualizationHook")')
    hook['draw'] = True
    if args.show:
        hook['show'] = True
        hook['wait_time'] = args.wait_time
    if args.show_dir:
        cfg.visualizer['save_dir'] = args.show_dir


def main() -> None:
    args = parse_args()
    # safe, atomic checkpoint I/O and the class-list reader (the opt-in that
    # ``import mmzs3`` does not make; see docs/reliability.md)
    enable_safe_io()
    cfg = load_config(args)
    cfg.load_from = args.checkpoint
    if args.show or args.show_dir:
        enable_visualization(cfg, args)
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    setup_cpu_distributed(cfg, args.launcher)
    runner = Runner.from_cfg(cfg)
    runner.test()
    close_distributed()


if __name__ == '__main__':
    main()
