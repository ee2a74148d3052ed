# Copyright (c) mmzs3 contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

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
    logits = head(_features(), text)
    assert logits.shape == (1, 3, 8, 8)  # stride 4
    # recompute from the projected pixel embeddings
    mask_feature, _ = head.pixel_decoder(_features(), None)
    pixels = F.normalize(head.conv_seg(mask_feature), dim=1)
    expected = 100 * torch.einsum('bdhw,kd->bkhw', pixels, text)
    torch.testing.assert_close(logits, expected)
    assert logits.abs().max() <= 100 + 1e-4
    # another vocabulary in the next call: the class count follows it
    assert head(_features(), text[:2]).shape == (1, 2, 8, 8)


def test_predict_gives_probabilities_at_the_input_size():
    head = _head()
    text = F.normalize(torch.randn(3, 4), dim=-1)
    metas = [dict(img_shape=(30, 30), pad_shape=(32, 32))]
    probs = head.predict(_features(), text, metas, None)
    assert probs.shape == (1, 3, 32, 32)
    torch.testing.assert_close(probs.sum(dim=1), torch.ones(1, 32, 32))
    expected = F.interpolate(head(_features(), text), size=(32, 32),
                             mode='bilinear', align_corners=False)
    torch.testing.assert_close(probs, expected.softmax(dim=1))


def test_query_fusion_is_a_clear_error():
    metas = [dict(img_shape=(32, 32), pad_shape=(32, 32))]
    with pytest.raises(ValueError, match="fusion_mode='seg'"):
        _head().predict(_features(), torch.eye(4)[:2], metas, None,
                        lambda cls_logits, mask_logits: cls_logits)


def test_loss_is_mmseg_cross_entropy_over_the_vocabulary():
    head = _head()
    text = F.normalize(torch.randn(3, 4), dim=-1)
    sample = SegDataSample(metainfo=dict(img_shape=(32, 32)))
    label = torch.randint(0, 3, (1, 32, 32))
    label[:, :4] = 255
    sample.gt_sem_seg = PixelData(data=label)
    losses = head.loss(_features(), text, [sample], None)
    logits = F.interpolate(head(_features(), text), size=(32, 32),
                           mode='bilinear', align_corners=False)
    expected = F.cross_entropy(logits, label, ignore_index=255)
    torch.testing.assert_close(losses['loss_ce'], expected)
