# Copyright (c) mmzs3 contributors. All rights reserved.
"""Test-only: predict one image file with a tiny model; print the result.

Run as ``python -m tests.test_models.test_segmentors.odd_image_inference
IMAGE MODEL MODE [CROP]`` (MODEL: ``fcn`` or ``zegformer``; MODE: ``whole`` or
``slide``, with square crops of CROP pixels, stride CROP); it
prints ``shape=H,W labels=...`` and the peak resident memory in MiB, so a
test can bound the memory of one inference in a fresh process.
"""
import resource
import sys

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

import mmzs3  # noqa: F401
from mmzs3.registry import MODELS
from ...train_helpers import TINY_CFG
from .tiny_zegformer import build_tiny_model

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackSegInputs')]


def build(model: str, mode: str, crop: int = 64) -> torch.nn.Module:
    """The tiny FCN of the tests' config or the tiny ZegFormer, eval mode."""
    init_default_scope('mmseg')
    torch.manual_seed(0)
    test_cfg = dict(mode='whole')
    if mode == 'slide':
        test_cfg = dict(mode='slide', crop_size=(crop, crop),
                        stride=(crop, crop))
    if model == 'fcn':
        cfg = Config.fromfile(TINY_CFG).model
        cfg.test_cfg = test_cfg
        net = MODELS.build(cfg)
    else:
        net = build_tiny_model(with_clip=False, test_cfg=test_cfg)
    return net.eval()


def predict(image_path: str, model: str, mode: str,
            crop: int = 64) -> np.ndarray:
    """Label map of one image, through mmseg's loading pipeline."""
    net = build(model, mode, crop)
    data = pseudo_collate([Compose(PIPELINE)(dict(img_path=image_path))])
    with torch.no_grad():
        sample = net.test_step(data)[0]
    return sample.pred_sem_seg.data[0].numpy()


def main() -> None:
    image_path, model, mode = sys.argv[1:4]
    crop = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    labels = predict(image_path, model, mode, crop)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    values = ','.join(str(v) for v in np.unique(labels))
    print(f'shape={labels.shape[0]},{labels.shape[1]} labels={values} '
          f'peak_mib={peak}')


if __name__ == '__main__':
    main()
