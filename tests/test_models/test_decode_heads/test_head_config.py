# Copyright (c) mmzs3 contributors. All rights reserved.
import math
import warnings

import pytest
from mmengine.config import ConfigDict
from mmengine.registry import init_default_scope

from mmzs3.models.decode_heads.head_config import (drop_vocabulary_kwargs,
                                                   fill_text_dim,
                                                   merged_config)
from mmzs3.models.decode_heads.head_defaults import (LOSS_CLS, LOSS_MASK,
                                                     PIXEL_DECODER,
                                                     TRANSFORMER_DECODER)
from mmzs3.registry import MODELS


def test_partial_sub_config_merges_into_the_default():
    partial = dict(norm_cfg=dict(num_groups=8))
    merged = merged_config(partial, PIXEL_DECODER)
    assert merged.type == 'mmdet.PixelDecoder'
    assert merged.norm_cfg == dict(type='GN', num_groups=8)
    assert merged.act_cfg == dict(type='ReLU')
    assert partial == dict(norm_cfg=dict(num_groups=8))  # not changed
    assert PIXEL_DECODER['norm_cfg']['num_groups'] == 32
    nested = merged_config(dict(num_layers=2), TRANSFORMER_DECODER)
    assert nested.num_layers == 2
    assert nested.layer_cfg.ffn_cfg.feedforward_channels == 2048
    assert merged_config(None, LOSS_MASK) == LOSS_MASK
    layers = merged_config(
        dict(layer_cfg=dict(self_attn_cfg=dict(num_heads=4))),
        TRANSFORMER_DECODER).layer_cfg
    assert layers.self_attn_cfg.num_heads == 4
    assert layers.cross_attn_cfg.num_heads == 8  # no shared default dict


def test_other_type_list_and_delete_replace_the_default():
    other = merged_config(dict(type='mmdet.FocalLoss', gamma=1.0), LOSS_MASK)
    assert other == dict(type='mmdet.FocalLoss', gamma=1.0)
    deleted = merged_config(dict(_delete_=True, type=LOSS_CLS['type']),
                            LOSS_CLS)
    assert deleted == dict(type=LOSS_CLS['type'])
    losses = [dict(type='CrossEntropyLoss'), dict(type='DiceLoss')]
    assert merged_config(losses, LOSS_CLS) == losses


def test_vocabulary_kwargs_are_dropped_with_one_warning():
    kwargs = dict(num_classes=150, num_stuff_classes=0, feat_channels=256)
    loss_cls = dict(LOSS_CLS, class_weight=[1.0] * 150 + [0.1])
    with pytest.warns(UserWarning) as record:
        kept = drop_vocabulary_kwargs('ZegFormerHead', loss_cls, kwargs)
    assert len(record) == 1
    message = str(record[0].message)
    for key in ('ZegFormerHead', 'num_classes', 'num_stuff_classes',
                'loss_cls.class_weight', 'vocabulary', 'no_object_weight'):
        assert key in message
    assert kwargs == dict(feat_channels=256)
    assert kept == LOSS_CLS and 'class_weight' in loss_cls
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # nothing to drop: silent
        assert drop_vocabulary_kwargs('H', LOSS_CLS, {}) == LOSS_CLS
        drop_vocabulary_kwargs('H', dict(LOSS_CLS, class_weight=None), {})


@pytest.mark.parametrize('head, path', [
    (dict(type='ZegFormerHead'), ('text_classifier', 'text_dim')),
    (dict(type='ZegFormerHead', text_classifier=dict(temperature=0.05)),
     ('text_classifier', 'text_dim')),
    (dict(type='ZegFormerMask2FormerHead', feat_channels=32),
     ('text_classifier', 'text_dim')),
    (dict(type='PixelZeroShotHead'), ('text_dim', )),
])
def test_text_dim_is_filled_where_the_head_keeps_it(head, path):
    init_default_scope('mmseg')
    filled = fill_text_dim(head, 24)
    value = filled
    for key in path:
        value = value[key]
    assert value == 24
    assert 'text_classifier' not in head or 'text_dim' not in head[
        'text_classifier']  # the caller's config is not changed
    if 'text_classifier' in head:
        assert filled.text_classifier.temperature == 0.05
    assert fill_text_dim(filled, 24) == filled  # a matching value is fine


def test_head_without_text_dim_is_unchanged_and_mismatch_is_an_error():
    init_default_scope('mmseg')
    fcn = dict(type='FCNHead', channels=8, num_classes=3)
    assert fill_text_dim(fcn, 24) == ConfigDict(fcn)
    mismatch = dict(type='ZegFormerHead', text_classifier=dict(text_dim=512))
    with pytest.raises(ValueError) as error:
        fill_text_dim(mismatch, 16)
    for part in ('ZegFormerHead', 'decode_head.text_classifier.text_dim=512',
                 '16', 'remove'):
        assert part in str(error.value)


def test_zegformer_head_accepts_partial_sub_configs():
    init_default_scope('mmseg')
    head = MODELS.build(dict(
        type='ZegFormerHead',
        pixel_decoder=dict(norm_cfg=dict(num_groups=8)),
        transformer_decoder=dict(num_layers=2),
        text_classifier=dict(text_dim=32, temperature=0.05),
        loss_mask=dict(loss_weight=5.0)))
    assert head.pixel_decoder.lateral_convs[0].gn.num_groups == 8
    assert len(head.transformer_decoder.layers) == 2
    ffn = head.transformer_decoder.layers[0].ffn
    assert ffn.layers[0][0].out_features == 2048  # default kept
    assert head.cls_embed.projection.weight.shape == (32, 256)
    assert head.cls_embed.logit_scale.item() == pytest.approx(math.log(20))
    assert type(head.loss_mask).__name__ == 'PureFocalLoss'
    assert (head.loss_mask.loss_weight, head.loss_mask.gamma) == (5.0, 2.0)


def test_zegformer_head_takes_mmseg_maskformer_kwargs_with_one_warning():
    init_default_scope('mmseg')
    with pytest.warns(UserWarning) as record:
        head = MODELS.build(dict(
            type='ZegFormerHead', num_classes=150, in_index=[0, 1, 2, 3],
            transformer_decoder=dict(num_layers=1),
            loss_cls=dict(class_weight=[1.0] * 150 + [0.1]),
            no_object_weight=0.2))
    vocabulary = [r for r in record if 'vocabulary' in str(r.message)]
    assert len(vocabulary) == 1
    assert 'num_classes, loss_cls.class_weight' in str(vocabulary[0].message)
    assert head.num_classes == 0
    assert head.loss_cls.class_weight == [0.2]  # vocabulary extends it
    assert head.loss_cls.loss_weight == 1.0


@pytest.mark.parametrize('head_type',
                         ['ZegFormerHead', 'ZegFormerMask2FormerHead'])
def test_per_pixel_head_kwargs_are_an_error_naming_the_fix(head_type):
    init_default_scope('mmseg')
    # what changing only `type` over mmseg's SegFormer head gives
    segformer_head = dict(type=head_type, in_channels=[32, 64, 160, 256],
                          in_index=[0, 1, 2, 3], channels=256,
                          dropout_ratio=0.1, num_classes=150,
                          feat_channels=256, out_channels=256,
                          loss_decode=dict(type='CrossEntropyLoss'))
    with pytest.raises(ValueError) as error:
        MODELS.build(segformer_head)
    message = str(error.value)
    assert message.startswith(f'{head_type}: channels, dropout_ratio, '
                              'loss_decode belong to')
    assert f"decode_head=dict(_delete_=True, type='{head_type}'" in message
