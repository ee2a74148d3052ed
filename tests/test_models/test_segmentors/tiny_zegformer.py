# Copyright (c) mmzs3 contributors. All rights reserved.
"""The shipped ZegFormer R50 model config, shrunk for CPU tests."""
import json
import os.path as osp
from typing import List, Tuple

import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmzs3.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
TINY_CLIP_NAME = 'mmzs3-a2-tiny'
SEEN = ('cat', 'dog', 'sky')
ALL = ('cat', 'tree', 'dog', 'road', 'sky')


def tiny_clip_cfg(type_name: str) -> dict:
    """A frozen CLIP tower of the tiny random test architecture."""
    with open(osp.join(REPO_ROOT, 'tests', 'data', 'openclip_tiny.json')) as f:
        model_cfg = json.load(f)
    return dict(type=type_name, model_name=TINY_CLIP_NAME,
                model_cfg=model_cfg, pretrained=None)


def tiny_model_cfg(with_clip: bool = True) -> ConfigDict:
    """``configs/_base_/models/zegformer_r50.py`` shrunk: ResNet-18 with 16
    base channels, 32-channel decoders, 2 layers, 10 queries, tiny CLIP."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(
        osp.join(REPO_ROOT, 'configs/_base_/models/zegformer_r50.py')).model
    cfg.backbone.update(depth=18, base_channels=16, stem_channels=16,
                        init_cfg=None)
    attention = dict(embed_dims=32, num_heads=2)
    cfg.decode_head.update(
        in_channels=[16, 32, 64, 128],
        feat_channels=32,
        out_channels=32,
        num_queries=10,
        pixel_decoder=dict(norm_cfg=dict(num_groups=8)),  # 1x1 res5, 32 px
        transformer_decoder=dict(
            num_layers=2,
            layer_cfg=dict(
                self_attn_cfg=attention,
                cross_attn_cfg=attention,
                ffn_cfg=dict(embed_dims=32, feedforward_channels=64))),
        positional_encoding=dict(num_feats=16),
        text_classifier=dict(in_channels=32, text_dim=16))
    cfg.text_encoder = dict(tiny_clip_cfg('OpenCLIPTextEncoder'),
                            templates='imagenet_select')
    if with_clip:
        cfg.clip_classifier = dict(tiny_clip_cfg('CLIPSegmentClassifier'),
                                   chunk_size=4)
    else:
        cfg.clip_classifier = None
        cfg.fusion_mode = 'seg'
    cfg.train_vocabulary = SEEN
    cfg.test_vocabulary = ALL
    return cfg


def build_tiny_model(with_clip: bool = True, **overrides):
    """Build the tiny segmentor (random constructor weights), seeded."""
    torch.manual_seed(0)
    cfg = tiny_model_cfg(with_clip)
    for key, value in overrides.items():
        cfg[key] = value  # replace, not merge
    return MODELS.build(cfg)


def tiny_batch(num_classes: int, hw: Tuple[int, int] = (64, 64),
               batch: int = 2, seed: int = 0) -> dict:
    """Raw (uint8) images and ``SegDataSample``s for the data
    preprocessor; labels are 16x16 blocks of ``0..num_classes-1``."""
    gen = torch.Generator().manual_seed(seed)
    inputs: List[torch.Tensor] = []
    samples: List[SegDataSample] = []
    for _ in range(batch):
        blocks = torch.randint(0, num_classes, (hw[0] // 16, hw[1] // 16),
                               generator=gen)
        label = blocks.repeat_interleave(16, 0).repeat_interleave(16, 1)
        label[0, :4] = 255
        inputs.append(torch.randint(0, 256, (3, ) + hw, generator=gen,
                                    dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(img_shape=hw, ori_shape=hw))
        sample.gt_sem_seg = PixelData(data=label[None])
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
