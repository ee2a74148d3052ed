# Copyright (c) mmzs3 contributors. All rights reserved.
"""The configs of docs/mmseg_projects.md: stock mmseg configs (inherited
with ``mmseg::``) made open-vocabulary, built at full size with tiny CLIP
towers and run for one training step and one prediction on 64x64 images."""
import os
import os.path as osp
import warnings

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmzs3.registry import MODELS
from ..test_models.test_segmentors.tiny_zegformer import (tiny_batch,
                                                          tiny_clip_cfg)

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PROJECTS = osp.join(REPO_ROOT, 'configs', 'mmseg_projects')
TINY_WIDTH = 16  # embed_dim of tests/data/openclip_tiny.json
SEEN = ('wall', 'floor', 'tree')
ALL = ('wall', 'floor', 'tree', 'sky', 'person')
HW = (64, 64)
# config file -> (head type, whether mmseg's class count is warned about)
CASES = {
    'zegformer_maskformer_r50-d32_ade20k-512x512.py': ('ZegFormerHead', True),
    'zegformer_mask2former_r50_ade20k-512x512.py':
    ('ZegFormerMask2FormerHead', True),
    'zegformer-head_segformer_mit-b0_ade20k-512x512.py':
    ('ZegFormerHead', False),
}


@pytest.fixture(scope='module', autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_every_project_config_is_covered():
    assert sorted(CASES) == sorted(
        name for name in os.listdir(PROJECTS)
        if name.endswith('.py'))


def tiny_model_cfg(name: str):
    """The config's model with tiny random CLIP towers and 64x64 inputs."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(osp.join(PROJECTS, name))
    model = cfg.model
    for tower in ('text_encoder', 'clip_classifier'):
        if model.get(tower):
            model[tower].update(tiny_clip_cfg(model[tower].type))
    model.data_preprocessor.size = HW
    return cfg


@pytest.mark.parametrize('name', sorted(CASES))
def test_project_config_trains_and_predicts(name):
    head_type, warns = CASES[name]
    cfg = tiny_model_cfg(name)
    assert cfg.model.type == 'ZegFormer'
    assert cfg.model.backbone.init_cfg.checkpoint.startswith(
        'data/pretrained/')  # local weights, never a download
    assert cfg.model.text_encoder.pretrained is None  # shrunk above
    torch.manual_seed(0)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter('always')
        model = MODELS.build(cfg.model)
    vocabulary = [str(r.message) for r in record
                  if 'the vocabulary decides' in str(r.message)]
    assert len(vocabulary) == int(warns)
    if warns:  # mmseg's head config: 150 ADE20K classes, ignored
        assert 'num_classes' in vocabulary[0]
        assert 'loss_cls.class_weight' in vocabulary[0]
    head = model.decode_head
    assert type(head).__name__ == head_type
    # the text dimension follows the text encoder
    assert head.cls_embed.projection.out_features == TINY_WIDTH
    model.set_vocabulary(SEEN, mode='train')
    model.set_vocabulary(ALL, seen_classes=SEEN, mode='test')

    model.train()
    data = model.data_preprocessor(tiny_batch(len(SEEN), HW, batch=2), True)
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v).all() for v in losses.values())
    loss, _ = model.parse_losses(losses)
    assert loss > 0
    loss.backward()
    for module in (head.cls_embed.projection, head.transformer_decoder):
        grads = [p.grad for p in module.parameters() if p.requires_grad]
        assert grads and all(g is not None for g in grads)
        assert sum(g.abs().sum() for g in grads) > 0

    model.eval()
    with torch.no_grad():
        batch = tiny_batch(len(ALL), HW, batch=1)
        data = model.data_preprocessor(batch, False)
        result = model(**data, mode='predict')[0]
    logits = result.seg_logits.data
    assert logits.shape == (len(ALL), ) + HW  # one map per vocabulary name
    assert torch.isfinite(logits).all()
    pred = result.pred_sem_seg.data
    assert pred.min() >= 0 and pred.max() < len(ALL)
