# Copyright (c) mmzs3 contributors. All rights reserved.
"""Test-only: train the way mmseg 1.2.2's ``tools/train.py`` does.

mmseg's tools are not installed with the package, so this reproduces the
calls they make: ``Config.fromfile`` (which imports the config's
``custom_imports``), ``--cfg-options``, the work dir, ``cfg.resume``,
``Runner.from_cfg`` and ``train()``. Nothing of mmzs3 is imported here.
"""
import argparse

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def main() -> None:
    parser = argparse.ArgumentParser(description='mmseg-style training')
    parser.add_argument('config')
    parser.add_argument('--work-dir', required=True)
    parser.add_argument('--resume', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args()
    cfg = Config.fromfile(args.config)
    cfg.launcher = 'none'
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    cfg.resume = args.resume
    runner = Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
