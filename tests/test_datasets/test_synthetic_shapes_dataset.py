# Copyright (c) mmzs3 contributors. All rights reserved.
import os.path as osp

import mmcv
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from PIL import Image

from mmzs3.datasets import ImageCaptionDataset, SyntheticShapesDataset
from mmzs3.datasets.synthetic_shapes_dataset import (SYNTHETIC_CLASSES,
                                                     SYNTHETIC_SEEN_CLASSES)

PIPELINE = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]


@pytest.fixture(autouse=True)
def mmseg_scope():
    init_default_scope('mmseg')


def build(root, **kwargs):
    return SyntheticShapesDataset(
        data_root=root,
        data_prefix=dict(
            img_path='img_dir/train', seg_map_path='ann_dir/train'),
        pipeline=PIPELINE,
        **kwargs)


def test_full_vocabulary_loads_through_mmseg_pipeline(tiny_benchmark):
    dataset = build(tiny_benchmark)
    assert len(dataset) == 16
    assert dataset.metainfo['classes'] == SYNTHETIC_CLASSES
    sample = dataset[2]
    raw = np.asarray(
        Image.open(osp.join(tiny_benchmark, 'ann_dir/train/000002.png')))
    gt = sample['data_samples'].gt_sem_seg.data[0].numpy()
    np.testing.assert_array_equal(gt, raw)
    assert sample['inputs'].shape == (3, 32, 32)


def test_seen_classes_map_unseen_pixels_to_ignore(tiny_benchmark):
    dataset = build(
        tiny_benchmark, metainfo=dict(classes=SYNTHETIC_SEEN_CLASSES))
    assert dataset.metainfo['classes'] == SYNTHETIC_SEEN_CLASSES
    lookup = np.full(256, 255, np.int64)
    for new_id, name in enumerate(SYNTHETIC_SEEN_CLASSES):
        lookup[SYNTHETIC_CLASSES.index(name)] = new_id
    for index in range(len(dataset)):
        raw = np.asarray(Image.open(osp.join(
            tiny_benchmark, f'ann_dir/train/{index:06d}.png')))
        gt = dataset[index]['data_samples'].gt_sem_seg.data[0].numpy()
        np.testing.assert_array_equal(gt, lookup[raw])
    # red square (id 1) is seen class 0; red circle (id 0) is unseen.
    assert lookup[1] == 0 and lookup[0] == 255


def test_image_caption_dataset(tiny_benchmark):
    root = osp.join(tiny_benchmark, 'captions')
    dataset = ImageCaptionDataset(
        ann_file='val.csv',
        data_root=root,
        pipeline=[dict(type='LoadImageFromFile')])
    assert len(dataset) == 16
    sample = dataset[5]
    assert sample['data_samples'].endswith(f'{SYNTHETIC_CLASSES[5]}.')
    bgr = mmcv.imread(osp.join(root, 'val/000005.png'))
    expected = torch.from_numpy(bgr.transpose(2, 0, 1).copy())
    assert torch.equal(sample['inputs'], expected)


def test_image_caption_dataset_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.csv'):
        ImageCaptionDataset(ann_file=str(tmp_path / 'missing.csv'))
    bad = tmp_path / 'bad.csv'
    bad.write_text('path,title\na.png,a red star.\n')
    with pytest.raises(KeyError, match='filepath'):
        ImageCaptionDataset(ann_file=str(bad))
