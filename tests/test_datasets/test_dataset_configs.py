# Copyright (c) mmzs3 contributors. All rights reserved.
"""Every dataset base config loads and names only registered classes."""
import glob
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mmzs3  # noqa: F401
from mmzs3.datasets import get_split
from mmzs3.registry import DATASETS, METRICS, TRANSFORMS

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs/_base_/datasets/*.py')))
#: The common part of the test-only bases, checked through them.
TEST_BASE = 'zs_test_base.py'
#: Crop sizes of the real benchmarks (docs/official_implementation.md);
#: other bases (the synthetic benchmark) choose their own.
CROP = {
    'coco-stuff164k_zs156-15.py': 640,
    'voc12aug_zs15-5.py': 512,
    'ade20k-full847_zs572-275.py': 512,
}
#: Test-only bases (cross-dataset vocabularies): test short side 512.
TEST_ONLY = (
    'ade20k-150_test.py',
    'ade20k-full847_test.py',
    'pascal-context59_test.py',
    'pascal-context459_test.py',
    'voc20_test.py',
    'voc20b_test.py',
)
#: Image-level data for the pretrainings (no pixel labels, no split).
IMAGE_LEVEL = 'synthetic_captions.py'


def check_loader(cfg: Config, name: str) -> None:
    """The loader wraps a registered dataset with registered transforms."""
    wrapper = cfg[name]['dataset']
    assert wrapper['type'] == 'ZeroShotSegDataset'
    assert DATASETS.get(wrapper['dataset']['type']) is not None
    if wrapper.get('class_split'):
        get_split(wrapper['class_split'])
    for step in wrapper['dataset']['pipeline']:
        assert TRANSFORMS.get(step['type']) is not None, step['type']


def check_test_side(cfg: Config, short_side: int) -> None:
    """Test loader, resize and hIoU evaluator agree with the label width."""
    check_loader(cfg, 'test_dataloader')
    assert cfg.test_dataloader.dataset.phase == 'test'
    assert cfg.test_evaluator['type'] == 'HIoUMetric'
    assert METRICS.get('HIoUMetric') is not None
    pipeline = cfg.test_dataloader.dataset.dataset.pipeline
    resize = pipeline[1]
    assert resize['type'] == 'Resize' and min(resize['scale']) == short_side
    wide = pipeline[2]['type'] == 'LoadWideSegAnnotations'
    assert cfg.test_evaluator['ignore_index'] == (65535 if wide else 255)


@pytest.mark.parametrize('name', TEST_ONLY)
def test_test_only_dataset_config(name):
    init_default_scope('mmseg')
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets', name))
    check_test_side(cfg, 512)
    for unused in ('train_dataloader', 'val_dataloader', 'val_evaluator',
                   'train_pipeline', 'crop_size'):
        assert unused not in cfg, f'{name}: {unused} is never used'


@pytest.mark.parametrize(
    'path', [
        p for p in CONFIGS
        if osp.basename(p) not in TEST_ONLY + (TEST_BASE, IMAGE_LEVEL)
    ],
    ids=osp.basename)
def test_dataset_config(path):
    init_default_scope('mmseg')
    cfg = Config.fromfile(path)
    for name in ('train_dataloader', 'val_dataloader'):
        check_loader(cfg, name)
    assert cfg.train_dataloader.dataset.phase == 'train'
    assert cfg.val_evaluator == cfg.test_evaluator
    crop = CROP.get(osp.basename(path))
    if crop:
        assert cfg.crop_size == (crop, crop)
        check_test_side(cfg, crop)
    else:
        check_loader(cfg, 'test_dataloader')
        assert cfg.test_evaluator['type'] == 'HIoUMetric'
    ignore = cfg.val_evaluator['ignore_index']
    checked = cfg.train_dataloader.dataset.dataset.pipeline[0]
    assert (checked['type'], checked['on_bad']) == ('SkipBadSamples', 'raise')
    loaders = [s['type'] for s in checked['transforms']]
    assert loaders[0] == 'LoadImageFromFile'
    wide = loaders[1] == 'LoadWideSegAnnotations'
    assert ignore == (65535 if wide else 255)
    assert checked.get('ignore_index', 255) == ignore
    if crop:
        pad = cfg.train_dataloader.dataset.dataset.pipeline[-2]
        assert pad == dict(type='Pad', size=cfg.crop_size,
                           pad_val=dict(img=128, seg=ignore))


@pytest.mark.parametrize('name,ignore', [('coco-stuff164k_zs156-15.py', 255),
                                         ('ade20k-full847_zs572-275.py',
                                          65535)])
def test_train_crops_are_padded_to_the_crop_size(name, ignore):
    init_default_scope('mmseg')
    cfg = Config.fromfile(osp.join(ROOT, 'configs/_base_/datasets', name))
    pad = TRANSFORMS.build(cfg.train_dataloader.dataset.dataset.pipeline[-2])
    img = np.full((300, 200, 3), 7, dtype=np.uint8)
    label = np.full((300, 200), 3, dtype=np.int32)
    out = pad(dict(img=img, gt_seg_map=label, seg_fields=['gt_seg_map']))
    size = cfg.crop_size
    assert out['img'].shape == size + (3, )
    assert out['gt_seg_map'].shape == size
    assert (out['img'][:300, :200] == 7).all()
    assert (out['img'][300:] == 128).all()
    assert (out['img'][:, 200:] == 128).all()
    assert (out['gt_seg_map'][:300, :200] == 3).all()
    assert (out['gt_seg_map'][300:] == ignore).all()
    assert (out['gt_seg_map'][:, 200:] == ignore).all()


def test_all_dataset_configs_present():
    names = {osp.basename(p) for p in CONFIGS}
    assert set(CROP) | set(TEST_ONLY) | {TEST_BASE, IMAGE_LEVEL} <= names


@pytest.mark.parametrize('config', [
    'configs/backbone_pretrain/resnet18-slim_synthetic.py',
    'configs/clip_pretrain/tiny_clip_synthetic.py'
])
def test_pretrainings_read_the_caption_base(config):
    """Both image-level pretrainings train on the caption base's loader:
    registered dataset and transforms, 64 px crops."""
    init_default_scope('mmseg')
    base = Config.fromfile(
        osp.join(ROOT, 'configs/_base_/datasets', IMAGE_LEVEL))
    loader = base.train_dataloader
    assert loader.dataset.type == 'ImageCaptionDataset'
    assert DATASETS.get(loader.dataset.type) is not None
    for step in loader.dataset.pipeline:
        assert TRANSFORMS.get(step['type']) is not None, step['type']
    crop = [s for s in loader.dataset.pipeline if s['type'] == 'RandomCrop']
    assert crop == [dict(type='RandomCrop', crop_size=(64, 64))]
    cfg = Config.fromfile(osp.join(ROOT, config))
    assert cfg.train_dataloader.to_dict() == loader.to_dict()
