# Copyright (c) mmzs3 contributors. All rights reserved.
"""The decoder swap (Mask2Former) and the per-pixel baseline in ZegFormer."""
import pytest
import torch

from .tiny_zegformer import ALL, SEEN, build_tiny_model, tiny_batch

_ATTN = dict(embed_dims=32, num_heads=2, attn_drop=0.0, proj_drop=0.0,
             dropout_layer=None, batch_first=True)
_FFN = dict(embed_dims=32, feedforward_channels=64, num_fcs=2,
            act_cfg=dict(type='ReLU', inplace=True), ffn_drop=0.0,
            dropout_layer=None, add_identity=True)

TINY_MASK2FORMER_HEAD = dict(
    type='ZegFormerMask2FormerHead',
    in_channels=[16, 32, 64, 128],
    strides=[4, 8, 16, 32],
    feat_channels=32,
    out_channels=32,
    num_queries=10,
    num_transformer_feat_level=3,
    pixel_decoder=dict(
        type='mmdet.MSDeformAttnPixelDecoder',
        num_outs=3,
        norm_cfg=dict(type='GN', num_groups=8),
        act_cfg=dict(type='ReLU'),
        encoder=dict(
            num_layers=1,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=32, num_heads=2, num_levels=3,
                                   num_points=2, im2col_step=64, dropout=0.0,
                                   batch_first=True, norm_cfg=None,
                                   init_cfg=None),
                ffn_cfg=dict(embed_dims=32, feedforward_channels=64,
                             num_fcs=2, ffn_drop=0.0,
                             act_cfg=dict(type='ReLU', inplace=True))),
            init_cfg=None),
        positional_encoding=dict(num_feats=16, normalize=True),
        init_cfg=None),
    enforce_decoder_input_project=False,
    positional_encoding=dict(num_feats=16, normalize=True),
    transformer_decoder=dict(
        return_intermediate=True,
        num_layers=2,
        layer_cfg=dict(self_attn_cfg=_ATTN, cross_attn_cfg=_ATTN,
                       ffn_cfg=_FFN),
        init_cfg=None),
    text_classifier=dict(type='SegmentTextClassifier', text_dim=16),
    loss_cls=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=False,
                  loss_weight=2.0, reduction='mean'),
    loss_mask=dict(type='mmdet.CrossEntropyLoss', use_sigmoid=True,
                   reduction='mean', loss_weight=5.0),
    loss_dice=dict(type='mmdet.DiceLoss', use_sigmoid=True, activate=True,
                   reduction='mean', naive_dice=True, eps=1.0,
                   loss_weight=5.0),
    train_cfg=dict(
        num_points=64,
        oversample_ratio=3.0,
        importance_sample_ratio=0.75,
        assigner=dict(
            type='mmdet.HungarianAssigner',
            match_costs=[
                dict(type='mmdet.ClassificationCost', weight=2.0),
                dict(type='mmdet.CrossEntropyLossCost', weight=5.0,
                     use_sigmoid=True),
                dict(type='mmdet.DiceCost', weight=5.0, pred_act=True,
                     eps=1.0)
            ]),
        sampler=dict(type='mmdet.MaskPseudoSampler')))

TINY_PIXEL_HEAD = dict(
    type='PixelZeroShotHead',
    in_channels=[16, 32, 64, 128],
    feat_channels=32,
    text_dim=16,
    pixel_decoder=dict(type='mmdet.PixelDecoder',
                       norm_cfg=dict(type='GN', num_groups=8)))


def _loss_and_predict(model):
    model.train()
    losses = model(**model.data_preprocessor(tiny_batch(len(SEEN)), True),
                   mode='loss')
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(tiny_batch(len(ALL), batch=1), False)
        results = model(**data, mode='predict')
    return losses, results[0].seg_logits.data


def test_mask2former_decoder_swap():
    model = build_tiny_model(decode_head=TINY_MASK2FORMER_HEAD)
    losses, logits = _loss_and_predict(model)
    # the query-only prediction before the first layer is supervised too
    expected = {
        f'decode.{prefix}loss_{name}'
        for prefix in ('', 'd0.', 'd1.') for name in ('cls', 'mask', 'dice')
    }
    assert set(losses) == expected
    assert all(torch.isfinite(v) for v in losses.values())
    assert logits.shape == (len(ALL), 64, 64)
    assert torch.isfinite(logits).all()


def test_pixel_baseline_trains_and_predicts_probabilities():
    model = build_tiny_model(with_clip=False, decode_head=TINY_PIXEL_HEAD)
    losses, logits = _loss_and_predict(model)
    assert set(losses) == {'decode.loss_ce', 'decode.acc_seg'}
    assert torch.isfinite(losses['decode.loss_ce'])
    assert losses['decode.loss_ce'] > 0
    # gamma 0: the maps are a softmax over the 5 test classes
    assert logits.shape == (len(ALL), 64, 64)
    torch.testing.assert_close(logits.sum(dim=0), torch.ones(64, 64))


def test_pixel_baseline_rejects_the_clip_branch():
    model = build_tiny_model(decode_head=TINY_PIXEL_HEAD)
    model.eval()
    data = model.data_preprocessor(tiny_batch(len(ALL), batch=1), False)
    with pytest.raises(ValueError, match="fusion_mode='seg'"):
        model(**data, mode='tensor')


def test_swin_backbone_through_config_alone():
    swin = dict(type='SwinTransformer', pretrain_img_size=64, embed_dims=16,
                depths=[1, 1, 1, 1], num_heads=[1, 2, 2, 4], window_size=2,
                out_indices=(0, 1, 2, 3), init_cfg=None)
    model = build_tiny_model(backbone=swin)
    losses, logits = _loss_and_predict(model)
    assert all(torch.isfinite(v) for v in losses.values())
    assert logits.shape == (len(ALL), 64, 64)
