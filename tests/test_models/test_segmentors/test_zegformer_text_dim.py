# Copyright (c) mmzs3 contributors. All rights reserved.
"""The segmentor sizes its head's text dimension by its text encoder."""
import pytest

from mmzs3.registry import MODELS
from .tiny_zegformer import tiny_model_cfg

TINY_WIDTH = 16  # embed_dim of tests/data/openclip_tiny.json


def test_text_dim_follows_the_text_encoder():
    cfg = tiny_model_cfg(with_clip=False)
    cfg.decode_head.text_classifier.pop('text_dim')
    model = MODELS.build(cfg)
    projection = model.decode_head.cls_embed.projection
    assert projection.out_features == TINY_WIDTH
    assert model.decode_head.cls_embed.bg_embed.shape == (1, TINY_WIDTH)
    assert 'text_dim' not in cfg.decode_head.text_classifier


def test_pixel_head_text_dim_follows_the_text_encoder():
    cfg = tiny_model_cfg(with_clip=False)
    cfg.decode_head = dict(
        type='PixelZeroShotHead', in_channels=[16, 32, 64, 128],
        feat_channels=32, pixel_decoder=dict(norm_cfg=dict(num_groups=8)))
    model = MODELS.build(cfg)
    assert model.decode_head.conv_seg.out_channels == TINY_WIDTH


def test_mismatching_text_dim_is_a_clear_error():
    cfg = tiny_model_cfg(with_clip=False)
    cfg.decode_head.text_classifier.text_dim = 512
    with pytest.raises(ValueError) as error:
        MODELS.build(cfg)
    assert 'decode_head.text_classifier.text_dim=512' in str(error.value)
    assert f'width {TINY_WIDTH}' in str(error.value)
