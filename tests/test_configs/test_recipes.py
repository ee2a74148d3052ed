# Copyright (c) mmzs3 contributors. All rights reserved.
"""The primary configs carry the official recipes."""
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
ZEG = 'configs/zegformer/'
# config: (depth, crop, iterations, AMP, seg templates, fusion mode, gamma,
#          class_split, ignore index)
RECIPES = {
    'zegformer_r50_coco.py': (50, 640, 60000, True, 'imagenet_select',
                              'fused', 0.1, 'coco_stuff_171', 255),
    'zegformer_r101_coco.py': (101, 640, 60000, True, 'imagenet_select',
                               'fused', 0.1, 'coco_stuff_171', 255),
    'zegformer_r50_voc.py': (50, 512, 10000, False, 'single', 'img', 0.0,
                             'voc_20', 255),
    'zegformer_r101_voc.py': (101, 512, 10000, False, 'single', 'fused',
                              0.1, 'voc_20', 255),
    'zegformer_r50_ade847.py': (50, 512, 60000, False, 'imagenet_select',
                                'fused', 0.0, 'ade20k_full_847', 65535),
}
CROSS_DATASET = {
    'zegformer_r50_coco_test-ade150.py': ('ade20k_150', 255),
    'zegformer_r50_coco_test-ade847.py': ('ade20k_full_847', 65535),
    'zegformer_r50_coco_test-pc59.py': ('pascal_context_59', 255),
    'zegformer_r50_coco_test-pc459.py': (None, 65535),
    'zegformer_r50_coco_test-voc20.py': ('voc_20_open', 255),
    'zegformer_r50_coco_test-voc20b.py': ('voc_20_background', 255),
}


def load(name: str) -> Config:
    init_default_scope('mmseg')
    return Config.fromfile(osp.join(REPO_ROOT, ZEG, name))


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_training_recipe(name):
    (depth, crop, iters, amp, templates, mode, gamma, split,
     ignore) = RECIPES[name]
    cfg = load(name)
    model = cfg.model
    assert model.backbone.depth == depth
    assert model.backbone.init_cfg.checkpoint.startswith('data/pretrained/')
    assert cfg.crop_size == (crop, crop)
    # 8 GPUs x 4 images = the official batch of 32
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.auto_scale_lr.base_batch_size == 32
    assert cfg.train_cfg.max_iters == iters
    (poly, ) = cfg.param_scheduler
    assert (poly.type, poly.power, poly.end) == ('PolyLR', 0.9, iters)
    wrapper = cfg.optim_wrapper
    assert wrapper.type == ('AmpOptimWrapper' if amp else 'OptimWrapper')
    assert (wrapper.optimizer.type, wrapper.optimizer.lr,
            wrapper.optimizer.weight_decay) == ('AdamW', 1e-4, 1e-4)
    assert wrapper.clip_grad.max_norm == 0.01
    assert wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 0.1
    assert model.text_encoder.templates == templates
    assert model.clip_templates == 'clip_select'
    assert 'templates' not in model.clip_classifier
    assert model.clip_classifier.crop_style == 'cropmask'
    assert model.text_encoder.pretrained == 'data/pretrained/ViT-B-16.pt'
    assert model.text_encoder.model_name == 'ViT-B-16-quickgelu'
    assert (model.fusion_mode, model.calibration_gamma) == (mode, gamma)
    assert 'test_mode' not in model and 'gamma' not in model
    assert model.lam == pytest.approx(2 / 3)
    assert model.decode_head.num_queries == 100
    assert model.decode_head.ignore_index == ignore
    assert model.data_preprocessor.seg_pad_val == ignore
    assert cfg.train_dataloader.dataset.class_split == split
    assert cfg.train_dataloader.dataset.phase == 'train'
    assert cfg.train_dataloader.dataset.setting == 'inductive'
    assert cfg.test_dataloader.dataset.phase == 'test'
    assert cfg.test_evaluator.ignore_index == ignore
    assert dict(type='VocabularyHook') in cfg.custom_hooks


@pytest.mark.parametrize('name', sorted(CROSS_DATASET))
def test_cross_dataset_test_config(name):
    split, ignore = CROSS_DATASET[name]
    cfg = load(name)
    coco = load('zegformer_r50_coco.py')
    # the COCO-trained model, tested with the CLIP image branch alone
    assert cfg.model.backbone == coco.model.backbone
    assert cfg.model.text_encoder == coco.model.text_encoder
    assert cfg.model.clip_classifier == coco.model.clip_classifier
    assert (cfg.model.fusion_mode,
            cfg.model.calibration_gamma) == ('img', 0.0)
    assert 'train_dataloader' not in cfg and 'train_cfg' not in cfg
    assert cfg.test_dataloader.dataset.get('class_split') == split
    assert cfg.test_evaluator.ignore_index == ignore
    assert cfg.model.decode_head.ignore_index == ignore
    assert dict(type='VocabularyHook') in cfg.custom_hooks


def test_test_time_variants():
    seg, img = load('zegformer_r50_coco_seg.py'), load(
        'zegformer_r50_coco_img.py')
    assert (seg.model.fusion_mode,
            seg.model.calibration_gamma) == ('seg', 0.1)
    assert seg.model.clip_classifier is None
    assert (img.model.fusion_mode,
            img.model.calibration_gamma) == ('img', 0.0)


def test_fast_variants_change_only_the_clip_queries():
    pairs = (('zegformer_r50_coco.py', 'zegformer_r50_coco_fast.py', 13),
             ('zegformer_tiny_synthetic.py',
              'zegformer_tiny_synthetic_fast.py', 2))
    for exact_name, fast_name, k in pairs:
        exact, fast = load(exact_name), load(fast_name)
        num_queries = fast.model.decode_head.num_queries
        assert (fast.model.clip_topk, fast.model.clip_share_iou) == (k, 0.5)
        # the same fraction of queries: one in eight, rounded up
        assert k == -(-num_queries // 8)
        fast.model.pop('clip_topk')
        fast.model.pop('clip_share_iou')
        assert fast.model == exact.model


def test_variants_change_only_their_part():
    coco = load('zegformer_r50_coco.py')
    swin = load('zegformer_swin-b_coco.py')
    m2f = load('zegformer_r50_mask2former-head_coco.py')
    assert swin.model.backbone.type == 'SwinTransformer'
    assert swin.model.decode_head.in_channels == [128, 256, 512, 1024]
    assert swin.model.decode_head.type == 'ZegFormerHead'
    assert m2f.model.decode_head.type == 'ZegFormerMask2FormerHead'
    assert m2f.model.backbone == coco.model.backbone
    for cfg in (swin, m2f):
        assert cfg.model.text_encoder == coco.model.text_encoder
        assert cfg.train_cfg == coco.train_cfg
        assert cfg.optim_wrapper.optimizer == coco.optim_wrapper.optimizer
