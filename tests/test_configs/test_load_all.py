# Copyright (c) mmzs3 contributors. All rights reserved.
"""Every config under ``configs/`` loads, builds and runs.

The configs are globbed at test time, so a new config is covered
automatically. Each one is loaded with ``Config.fromfile``; its model is
built with the backbone, heads and CLIP towers shrunk by overrides (no
pretrained weights) and runs a training step (loss, backward, the config's
own optimizer wrapper) and a prediction on fake data; its dataloaders,
evaluators and hooks name registered classes and its pipelines build.
A backbone or head type without a shrink rule here fails the suite.
"""
import copy
import glob
import json
import os.path as osp
from typing import List, Sequence, Tuple

import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import mmzs3  # noqa: F401
from mmzs3.registry import (DATASETS, HOOKS, METRICS, MODELS, OPTIM_WRAPPERS,
                            TRANSFORMS, VISUALIZERS)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    osp.relpath(path, REPO_ROOT) for path in glob.glob(
        osp.join(REPO_ROOT, 'configs', '**', '*.py'), recursive=True))
TINY_CLIP_NAME = 'mmzs3-config-test-tiny'
with open(osp.join(REPO_ROOT, 'tests', 'data', 'openclip_tiny.json')) as f:
    TINY_CLIP_CFG = json.load(f)
TINY_CHANNELS = [16, 32, 64, 128]
FEAT = 32
SEEN = ('cat', 'dog', 'sky')
ALL = ('cat', 'tree', 'dog', 'road', 'sky')
HW = (32, 32)
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    """Tiny models run fastest on one thread (and the suite shares the
    cores); restored afterwards."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def load(path: str) -> Config:
    init_default_scope('mmseg')
    return Config.fromfile(osp.join(REPO_ROOT, path))


# --------------------------------------------------------------- shrinking
def shrink_backbone(backbone: ConfigDict) -> List[int]:
    """Shrink a backbone in place; return its output channels."""
    if backbone.type == 'ResNet':
        backbone.update(depth=18, base_channels=16, stem_channels=16)
    elif backbone.type == 'MixVisionTransformer':
        backbone.update(embed_dims=16, num_layers=[1, 1, 1, 1],
                        num_heads=[1, 2, 4, 8])
    elif backbone.type == 'SwinTransformer':
        backbone.update(pretrain_img_size=HW[0], embed_dims=16,
                        depths=[1, 1, 1, 1], num_heads=[1, 2, 2, 4],
                        window_size=2, drop_path_rate=0.0)
    else:
        pytest.fail(f'no shrink rule for backbone {backbone.type!r}: add '
                    f'one to {__file__}')
    backbone.init_cfg = None
    return TINY_CHANNELS


def shrink_transformer_layers(layer_cfg: ConfigDict) -> None:
    for attn in ('self_attn_cfg', 'cross_attn_cfg'):
        sub(layer_cfg, attn).update(embed_dims=FEAT, num_heads=2)
    sub(layer_cfg, 'ffn_cfg').update(embed_dims=FEAT, feedforward_channels=64)


def sub(cfg: ConfigDict, key: str) -> ConfigDict:
    """``cfg[key]``, created empty if absent: the heads merge partial
    sub-configs into their defaults."""
    if cfg.get(key) is None:
        cfg[key] = ConfigDict()
    return cfg[key]


def shrink_mask_head(head: ConfigDict, in_channels: List[int]) -> None:
    """ZegFormerHead / ZegFormerMask2FormerHead: 32 channels, 10 queries,
    2 decoder layers (the text dimension follows the tiny text encoder)."""
    head.update(in_channels=in_channels, feat_channels=FEAT,
                out_channels=FEAT, num_queries=10)
    sub(sub(head, 'pixel_decoder'), 'norm_cfg').num_groups = 8
    sub(head, 'positional_encoding').num_feats = FEAT // 2
    sub(head, 'transformer_decoder').num_layers = 2
    shrink_transformer_layers(
        sub(sub(head, 'transformer_decoder'), 'layer_cfg'))
    sub(head, 'text_classifier').in_channels = FEAT
    encoder = head.pixel_decoder.get('encoder')
    if encoder is not None:  # Mask2Former's deformable pixel decoder
        encoder.num_layers = 1
        encoder.layer_cfg.self_attn_cfg.update(
            embed_dims=FEAT, num_heads=2, num_points=2)
        encoder.layer_cfg.ffn_cfg.update(
            embed_dims=FEAT, feedforward_channels=64)
        head.pixel_decoder.positional_encoding.num_feats = FEAT // 2
    if 'num_points' in sub(head, 'train_cfg'):  # point-sampled losses
        head.train_cfg.num_points = 64


def shrink_head(head: ConfigDict, in_channels: List[int]) -> None:
    if head.type in ('ZegFormerHead', 'ZegFormerMask2FormerHead'):
        shrink_mask_head(head, in_channels)
    elif head.type == 'PixelZeroShotHead':
        head.update(in_channels=in_channels, feat_channels=FEAT)
        sub(sub(head, 'pixel_decoder'), 'norm_cfg').num_groups = 8
    else:
        pytest.fail(f'no shrink rule for head {head.type!r}: add one to '
                    f'{__file__}')


def tiny_clip(module: ConfigDict) -> None:
    module.update(model_name=TINY_CLIP_NAME, model_cfg=TINY_CLIP_CFG,
                  pretrained=None)


def shrink_model(model: ConfigDict) -> ConfigDict:
    """The config's model with every large or pretrained part shrunk."""
    model = copy.deepcopy(model)
    if model.type == 'CLIPContrastiveModel':
        model.update(model_name=TINY_CLIP_NAME, model_cfg=TINY_CLIP_CFG)
        return model
    if model.type == 'ImageLevelPretrainModel':
        return model  # a slim ResNet-18 from scratch: small already
    assert model.type == 'ZegFormer', f'no shrink rule for {model.type}'
    shrink_head(model.decode_head, shrink_backbone(model.backbone))
    tiny_clip(model.text_encoder)
    if model.get('clip_classifier'):
        tiny_clip(model.clip_classifier)
        model.clip_classifier.chunk_size = 4
    model.init_cfg = None
    return model


# --------------------------------------------------------------- fake data
def seg_batch(num_classes: int, ignore_index: int, batch: int = 2) -> dict:
    """Raw uint8 images and 16x16-block labels, a few pixels ignored."""
    gen = torch.Generator().manual_seed(0)
    inputs, samples = [], []
    for _ in range(batch):
        blocks = torch.randint(0, num_classes, (HW[0] // 16, HW[1] // 16),
                               generator=gen)
        label = blocks.repeat_interleave(16, 0).repeat_interleave(16, 1)
        label[0, :5] = ignore_index
        inputs.append(torch.randint(0, 256, (3, ) + HW, generator=gen,
                                    dtype=torch.uint8))
        sample = SegDataSample(metainfo=dict(img_shape=HW, ori_shape=HW))
        sample.gt_sem_seg = PixelData(data=label[None])
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)


def optim_wrapper_for(cfg: Config, model: torch.nn.Module):
    """The config's optimizer wrapper; AMP needs a GPU, so on the CPU its
    ``AmpOptimWrapper`` becomes the plain one with the same settings."""
    wrapper = copy.deepcopy(cfg.optim_wrapper)
    if wrapper.get('type') == 'AmpOptimWrapper' and not (
            torch.cuda.is_available()):
        wrapper.type = 'OptimWrapper'
        wrapper.pop('loss_scale', None)
    return build_optim_wrapper(model, wrapper)


def check_zegformer(cfg: Config, model: torch.nn.Module) -> None:
    model.set_vocabulary(SEEN, mode='train')
    model.set_vocabulary(ALL, seen_classes=SEEN, mode='test')
    ignore = model.decode_head.ignore_index
    model.train()
    data = model.data_preprocessor(seg_batch(len(SEEN), ignore), True)
    losses = model(**data, mode='loss')
    assert losses and all(torch.isfinite(v).all() for v in losses.values())
    loss, _ = model.parse_losses(losses)
    assert loss > 0
    if cfg.get('optim_wrapper'):
        before = [p.detach().clone() for p in model.parameters()
                  if p.requires_grad]
        optim_wrapper_for(cfg, model).update_params(loss)
        after = [p for p in model.parameters() if p.requires_grad]
        assert any(not torch.equal(a, b) for a, b in zip(after, before))
    else:
        loss.backward()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(seg_batch(len(ALL), ignore, 1), False)
        result = model(**data, mode='predict')[0]
    logits = result.seg_logits.data
    assert logits.shape == (len(ALL), ) + HW
    assert torch.isfinite(logits).all()
    pred = result.pred_sem_seg.data
    assert pred.min() >= 0 and pred.max() < len(ALL)


def check_clip_pretraining(model: torch.nn.Module) -> None:
    size = TINY_CLIP_CFG['vision_cfg']['image_size']
    images = [torch.randint(0, 256, (3, size, size), dtype=torch.uint8)
              for _ in range(2)]
    data = model.data_preprocessor(
        dict(inputs=images, data_samples=['red circle', 'blue square']),
        True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss']) and losses['loss'] > 0


# ------------------------------------------------------------------- tests
@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds_and_runs(path):
    cfg = load(path)
    if '_base_' not in path.split(osp.sep):
        assert 'model' in cfg, f'{path}: a runnable config needs a model'
    if 'model' not in cfg:
        return
    torch.manual_seed(0)
    model = MODELS.build(shrink_model(cfg.model))
    model.init_weights()
    if cfg.model.type == 'ZegFormer':
        check_zegformer(cfg, model)
    else:
        check_clip_pretraining(model)


def dataset_chain(dataset: ConfigDict) -> Tuple[List[str], Sequence[dict]]:
    """Types of a dataset and its wrapped datasets, and the pipeline."""
    types = [dataset.type]
    while 'dataset' in dataset:
        dataset = dataset.dataset
        # a base (zs_test_base.py) may leave the inner type to its children
        types.append(dataset.get('type'))
    return types, dataset.get('pipeline', [])


@pytest.mark.parametrize('path', CONFIGS)
def test_config_data_and_hooks_resolve(path):
    cfg = load(path)
    for name in DATALOADERS:
        if cfg.get(name) is None:
            continue
        types, pipeline = dataset_chain(cfg[name].dataset)
        for dataset_type in filter(None, types):
            assert DATASETS.get(dataset_type) is not None, dataset_type
        assert pipeline, f'{path}: {name} has no pipeline'
        for step in pipeline:
            TRANSFORMS.build(step)
    for name in ('val_evaluator', 'test_evaluator'):
        if cfg.get(name) is not None:
            assert METRICS.get(cfg[name].type) is not None
    hooks = list(cfg.get('custom_hooks', []))
    hooks += [h for h in cfg.get('default_hooks', {}).values() if h]
    for hook in hooks:
        assert HOOKS.get(hook['type']) is not None, hook['type']
    if cfg.get('visualizer'):
        assert VISUALIZERS.get(cfg.visualizer.type) is not None
    if cfg.get('optim_wrapper'):
        assert OPTIM_WRAPPERS.get(cfg.optim_wrapper.type) is not None
