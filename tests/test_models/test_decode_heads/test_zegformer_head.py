# Copyright (c) mmzs3 contributors. All rights reserved.
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmzs3.registry import MODELS


def _trainable(module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


R50_BASE = osp.join(
    osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))),
    'configs', '_base_', 'models', 'zegformer_r50.py')


def _shipped_r50_head() -> dict:
    return Config.fromfile(R50_BASE).model.decode_head


@pytest.mark.parametrize('head_cfg', [
    lambda: dict(type='ZegFormerHead'), _shipped_r50_head
], ids=['defaults', 'configs/_base_/models/zegformer_r50.py'])
def test_full_size_parameter_counts_match_the_official_layout(head_cfg):
    init_default_scope('mmseg')
    head = MODELS.build(head_cfg())  # R50, 100 queries
    # sem_seg_head.pixel_decoder.* of zegformer_R50_coco_state_dict_keys
    assert _trainable(head.pixel_decoder) == 7_540_480
    # query_embed + input_proj + transformer decoder + mask_embed +
    # projection_layer + bg_feature (logit_scale is frozen)
    predictor = (head.query_embed, head.decoder_input_proj,
                 head.transformer_decoder, head.mask_embed, head.cls_embed)
    assert sum(_trainable(m) for m in predictor) == 10_352_640
    assert _trainable(head) == 7_540_480 + 10_352_640
    assert not head.cls_embed.logit_scale.requires_grad
    assert head.cls_embed.projection.weight.shape == (512, 256)
    assert len(head.transformer_decoder.layers) == 6


def _tiny_head(**kwargs):
    init_default_scope('mmseg')
    attn = dict(embed_dims=32, num_heads=2, attn_drop=0.0, proj_drop=0.0,
                batch_first=True)
    cfg = dict(
        type='ZegFormerHead',
        in_channels=[8, 16, 32, 64],
        feat_channels=32,
        out_channels=32,
        num_queries=6,
        pixel_decoder=dict(type='mmdet.PixelDecoder',
                           norm_cfg=dict(type='GN', num_groups=8)),
        positional_encoding=dict(num_feats=16, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True,
            num_layers=2,
            layer_cfg=dict(
                self_attn_cfg=attn,
                cross_attn_cfg=attn,
                ffn_cfg=dict(embed_dims=32, feedforward_channels=64))),
        text_classifier=dict(type='SegmentTextClassifier', text_dim=8))
    cfg.update(kwargs)
    return MODELS.build(cfg)


def _features(batch=2, size=32):
    torch.manual_seed(0)
    return [torch.randn(batch, c, size // s, size // s)
            for c, s in ((8, 4), (16, 8), (32, 16), (64, 32))]


def _bound_state(head) -> tuple:
    """What mmdet's head code reads the vocabulary from."""
    return (head.cls_embed.text_embeddings, head.num_classes,
            head.class_weight, head.loss_cls.class_weight)


def test_loss_sees_its_vocabulary_and_nothing_outlives_the_call(
        monkeypatch):
    head = _tiny_head(no_object_weight=0.25)
    before = _bound_state(head)
    during = []
    original = type(head).loss_by_feat

    def spy(self, *args):
        during.append(_bound_state(self))
        return original(self, *args)

    monkeypatch.setattr(type(head), 'loss_by_feat', spy)
    text = torch.eye(8)[:3]
    head.loss(_features(), text, _samples(), None)
    weights = [1.0, 1.0, 1.0, 0.25]
    assert during == [(text, 3, weights, weights)]
    assert _bound_state(head) == before
    # restored when the call fails, too
    with pytest.raises(Exception):
        head.loss(_features()[:1], text, _samples(), None)
    assert _bound_state(head) == before
    with pytest.warns(UserWarning, match='no_object_weight'):
        ignored = _tiny_head(loss_cls=dict(type='mmdet.CrossEntropyLoss',
                                           class_weight=[1.0, 0.1]))
    assert ignored.loss_cls.class_weight == [0.1]


def test_loss_and_per_query_predict():
    head = _tiny_head()
    samples = _samples()
    losses = head.loss(_features(), torch.eye(8)[:3], samples, None)
    assert len(losses) == 6
    assert all(torch.isfinite(v) and v > 0 for v in losses.values())
    assert 'batch_input_shape' not in samples[0].metainfo  # not mutated
    metas = [dict(img_shape=(30, 28), pad_shape=(32, 32))] * 2
    cls_logits, mask_logits = head.predict_queries(_features(),
                                                   torch.eye(8)[:5], metas)
    assert cls_logits.shape == (2, 6, 6)  # 5 classes + no-object
    assert mask_logits.shape == (2, 6, 32, 32)  # the padded input size
    crop = [dict(img_shape=torch.Size((64, 64)), pad_shape=(96, 96))]
    _, crop_masks = head.predict_queries(_features(batch=1, size=64),
                                         torch.eye(8)[:5], crop)
    assert crop_masks.shape == (1, 6, 64, 64)  # slide: the crop size


def test_predict_gives_class_maps_of_segment_or_given_query_probs():
    head = _tiny_head()
    head.eval()
    text = torch.eye(8)[:5]
    metas = [dict(img_shape=(32, 32), pad_shape=(32, 32))] * 2
    with torch.no_grad():
        cls_logits, mask_logits = head.predict_queries(_features(), text,
                                                       metas)
        maps = head.predict(_features(), text, metas, None)
        uniform = head.predict(_features(), text, metas, None,
                               lambda c, m: torch.full((2, 6, 5), 0.2))
    probs = cls_logits.softmax(dim=-1)[..., :-1]
    expected = torch.einsum('bqk,bqhw->bkhw', probs, mask_logits.sigmoid())
    assert maps.shape == (2, 5, 32, 32)
    torch.testing.assert_close(maps, expected)
    # every class gets 0.2 of every mask
    expected = 0.2 * mask_logits.sigmoid().sum(dim=1, keepdim=True)
    torch.testing.assert_close(uniform, expected.expand(-1, 5, -1, -1))


def _samples():
    samples = []
    for i in range(2):
        sample = SegDataSample(metainfo=dict(img_shape=(32, 32)))
        label = torch.full((1, 32, 32), i, dtype=torch.long)
        label[:, :8] = 2
        label[:, :, :4] = 255
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    return samples


def test_loss_under_float16_autocast_matches_float32():
    head = _tiny_head()
    text = torch.eye(8)[:3]
    with torch.no_grad():  # mask logits far beyond float16's sigmoid range
        head.mask_embed[-1].weight.mul_(200.)
    reference = head.loss(_features(), text, _samples(), None)
    mask_logits = head(_features(), text, head._meta_samples(
        [s.metainfo for s in _samples()]))[1]
    assert mask_logits.abs().max() > 20
    with torch.autocast('cpu', dtype=torch.float16):
        losses = head.loss(_features(), text, _samples(), None)
    for key, value in reference.items():
        assert value.dtype == losses[key].dtype == torch.float32
        torch.testing.assert_close(losses[key], value, rtol=0.02, atol=0.02)
