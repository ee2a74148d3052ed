# Copyright (c) mmzs3 contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope

from mmzs3.registry import MODELS


def _head():
    init_default_scope('mmseg')
    return MODELS.build(dict(
        type='PixelZeroShotHead',
        in_channels=[8, 16, 32, 64],
        feat_channels=32,
        text_dim=4,
        pixel_decoder=dict(type='mmdet.PixelDecoder',
                           norm_cfg=dict(type='GN', num_groups=8))))


def _features():
    torch.manual_seed(0)
    return [torch.randn(1, c, 32 // s, 32 // s)
            for c, s in ((8, 4), (16, 8), (32, 16), (64, 32))]


def test_logits_are_scaled_cosines_against_the_vocabulary():
    head = _head()
    text = F.normalize(torch.randn(3, 4), dim=-1)
    head.set_text_embeddings(text)
    assert head.num_classes == head.out_channels == 3
    logits = head(_features())
    assert logits.shape == (1, 3, 8, 8)  # stride 4
    # recompute from the projected pixel embeddings
    mask_feature, _ = head.pixel_decoder(_features(), None)
    pixels = F.normalize(head.conv_seg(mask_feature), dim=1)
    expected = 100 * torch.einsum('bdhw,kd->bkhw', pixels, text)
    torch.testing.assert_close(logits, expected)
    assert logits.abs().max() <= 100 + 1e-4
    metas = [dict(img_shape=(30, 30), pad_shape=(32, 32))]
    assert head.predict(_features(), metas, None).shape == (1, 3, 32, 32)


def test_missing_text_embeddings_is_a_clear_error():
    with pytest.raises(RuntimeError, match='set_text_embeddings'):
        _head()(_features())
