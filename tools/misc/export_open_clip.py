# Copyright (c) mmzs3 contributors. All rights reserved.
"""Export a CLIP pretraining checkpoint as an open_clip checkpoint.

Writes ``OUT_DIR/open_clip_pytorch_model.bin`` (a plain open_clip state
dict) and ``OUT_DIR/open_clip_config.json`` (architecture and
preprocessing), open_clip's ``local-dir:`` layout. Both ways a real
checkpoint loads then work::

    open_clip.create_model('local-dir:OUT_DIR')
    register_open_clip_config(name, model_cfg)  # from mmzs3.models.utils
    open_clip.create_model(
        name, pretrained='OUT_DIR/open_clip_pytorch_model.bin')

Example::

    python tools/misc/export_open_clip.py \\
        configs/clip_pretrain/tiny_clip_synthetic.py \\
        work_dirs/tiny_clip_synthetic/iter_250.pth \\
        work_dirs/tiny_clip_synthetic/open_clip
"""
import argparse
from typing import Optional, Sequence

import open_clip
from mmengine.config import Config

from mmzs3.models.pretrain import open_clip_state_dict, save_open_clip
from mmzs3.models.utils import register_open_clip_config
from mmzs3.utils import safe_torch_load


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Export a CLIP pretraining checkpoint for open_clip')
    parser.add_argument('config', help='the pretraining config')
    parser.add_argument('checkpoint', help='the mmengine checkpoint')
    parser.add_argument('out_dir', help='folder to write the export to')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> str:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    name, model_cfg = cfg.model.model_name, cfg.model.get('model_cfg')
    if model_cfg is not None:
        register_open_clip_config(name, model_cfg.to_dict())
    model_cfg = open_clip.get_model_config(name)
    if model_cfg is None:
        raise KeyError(f'{args.config}: open_clip has no architecture '
                       f'"{name}" and model.model_cfg is not set')
    preprocessor = cfg.model.data_preprocessor
    checkpoint = safe_torch_load(args.checkpoint, map_location='cpu')
    weights = save_open_clip(
        open_clip_state_dict(checkpoint), model_cfg, args.out_dir,
        [m / 255 for m in preprocessor.mean],
        [s / 255 for s in preprocessor.std])
    print(f'open_clip checkpoint written to {weights}')
    return weights


if __name__ == '__main__':
    main()
