# Copyright (c) mmzs3 contributors. All rights reserved.
"""ZeroShotSegDataset on generated mmseg-format datasets."""
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmseg.datasets import BaseSegDataset

from mmzs3.datasets import ZeroShotSegDataset, get_split
from mmzs3.registry import DATASETS

CLASSES = ('a', 'b', 'c', 'd')
init_default_scope('mmseg')


@DATASETS.register_module(force=True)
class ToyZSTestDataset(BaseSegDataset):
    """Four-class toy dataset for the wrapper tests."""
    METAINFO = dict(classes=CLASSES)

    def __init__(self, **kwargs) -> None:
        super().__init__(img_suffix='.png', seg_map_suffix='.png', **kwargs)


# image 0 holds the unseen class c (=2), image 1 does not, image 2 does
LABELS = [
    np.array([[0, 1, 2, 3], [2, 2, 255, 3]], np.uint8),
    np.array([[0, 0, 1, 3], [3, 3, 255, 1]], np.uint8),
    np.array([[2, 2, 2, 2], [0, 0, 0, 0]], np.uint8),
]


def write_dataset(root, labels, dtype=np.uint8, img_suffix='.png'):
    for sub in ('img', 'ann'):
        os.makedirs(osp.join(root, sub), exist_ok=True)
    for i, label in enumerate(labels):
        image = np.full(label.shape + (3, ), 40 * i, np.uint8)
        cv2.imwrite(osp.join(root, 'img', f'{i:02d}{img_suffix}'), image)
        cv2.imwrite(osp.join(root, 'ann', f'{i:02d}.png'), label.astype(dtype))
    return root


def toy_cfg(root, **kwargs):
    return dict(
        type='ToyZSTestDataset',
        data_root=root,
        data_prefix=dict(img_path='img', seg_map_path='ann'),
        pipeline=[dict(type='LoadImageFromFile'),
                  dict(type='LoadAnnotations')],
        **kwargs)


def wrap(root, **kwargs):
    return ZeroShotSegDataset(
        toy_cfg(root), seen_classes=('a', 'b', 'd'),
        unseen_classes=('c', ), **kwargs)


def test_train_inductive_unseen_pixels_become_255(tmp_path):
    ds = wrap(write_dataset(str(tmp_path), LABELS))
    assert len(ds) == 3  # images with unseen classes are kept
    expected_map = np.array([0, 1, 255, 2])  # a, b kept; c -> 255; d -> 2
    for i, raw in enumerate(LABELS):
        got = ds[i]['gt_seg_map']
        want = np.where(raw == 255, 255, expected_map[np.minimum(raw, 3)])
        np.testing.assert_array_equal(got, want)
    meta = ds.metainfo
    assert meta['classes'] == ('a', 'b', 'd')
    assert meta['seen_classes'] == ('a', 'b', 'd')
    assert meta['unseen_classes'] == ()
    assert meta['setting'] == 'inductive'


def test_old_setting_name_warns_once_and_still_works(tmp_path):
    root = write_dataset(str(tmp_path), LABELS)
    with pytest.warns(FutureWarning) as caught:
        ds = wrap(root, mode='transductive')
    assert len(caught) == 1 and "'mode'" in str(caught[0].message)
    assert "'setting'" in str(caught[0].message)
    assert (ds.phase, ds.setting) == ('train', 'transductive')
    assert ds.metainfo['unseen_classes'] == ('c', )
    assert ds.metainfo['setting'] == 'transductive'


def test_train_config_named_dataset_is_remapped(tmp_path):
    """BaseSegDataset naming its classes in the config (no METAINFO) gets
    the same label mapping, and strict mode finds the unseen pixels."""
    root = write_dataset(str(tmp_path), LABELS)
    cfg = toy_cfg(root, metainfo=dict(classes=CLASSES))
    cfg.update(type='BaseSegDataset', img_suffix='.png',
               seg_map_suffix='.png')
    ds = ZeroShotSegDataset(cfg, seen_classes=('a', 'b', 'd'),
                            unseen_classes=('c', ))
    expected_map = np.array([0, 1, 255, 2])
    for i, raw in enumerate(LABELS):
        want = np.where(raw == 255, 255, expected_map[np.minimum(raw, 3)])
        np.testing.assert_array_equal(ds[i]['gt_seg_map'], want)
    assert type(ds.dataset) is BaseSegDataset
    # picklable, as dataloader workers started with 'spawn' need
    copy = pickle.loads(pickle.dumps(ds))
    np.testing.assert_array_equal(copy[0]['gt_seg_map'],
                                  ds[0]['gt_seg_map'])
    assert ds.metainfo['classes'] == ('a', 'b', 'd')
    strict = ZeroShotSegDataset(cfg, seen_classes=('a', 'b', 'd'),
                                unseen_classes=('c', ), setting='strict')
    assert len(strict) == 1


def test_config_named_sixteen_bit_dataset_drops_to_65535(tmp_path):
    """With 16-bit labels and the ignore index 65535, unseen classes map
    to 65535, not to 255 (which is a class index of a large vocabulary)."""
    classes = tuple(f'c{i}' for i in range(300))
    raw = np.array([[0, 255], [256, 65535]], np.uint16)
    root = write_dataset(str(tmp_path), [raw], dtype=np.uint16)
    cfg = toy_cfg(root, metainfo=dict(classes=classes))
    cfg.update(type='BaseSegDataset', img_suffix='.png',
               seg_map_suffix='.png', ignore_index=65535,
               pipeline=[dict(type='LoadImageFromFile'),
                         dict(type='LoadWideSegAnnotations')])
    seen = tuple(c for c in classes if c not in ('c0', 'c255'))
    ds = ZeroShotSegDataset(cfg, seen_classes=seen,
                            unseen_classes=('c0', 'c255'))
    # c0, c255 unseen -> 65535; c256 is seen index 254; 65535 stays
    np.testing.assert_array_equal(ds[0]['gt_seg_map'],
                                  [[65535, 65535], [254, 65535]])


def test_train_strict_drops_images_and_caches(tmp_path):
    root = write_dataset(str(tmp_path / 'data'), LABELS)
    cache = str(tmp_path / 'cache' / 'scan.json')
    ds = wrap(root, setting='strict', scan_cache=cache)
    assert len(ds) == 1
    assert ds.get_data_info(0)['seg_map_path'].endswith('01.png')
    assert osp.isfile(cache)
    # the cache is used: with a label file gone, no file is read again
    os.remove(osp.join(root, 'ann', '00.png'))
    assert len(wrap(root, setting='strict', scan_cache=cache)) == 1
    # another split changes the cache key, so the labels are scanned again
    with pytest.raises(Exception, match='00.png'):
        ZeroShotSegDataset(
            toy_cfg(root), seen_classes=('a', 'c', 'd'),
            unseen_classes=('b', ), setting='strict', scan_cache=cache)


def test_train_transductive_keeps_unseen_names(tmp_path):
    ds = wrap(write_dataset(str(tmp_path), LABELS), setting='transductive')
    assert len(ds) == 3
    assert ds.metainfo['unseen_classes'] == ('c', )
    assert ds[0]['gt_seg_map'][0, 2] == 255


def test_test_split_metainfo_carries_split(tmp_path):
    ds = wrap(write_dataset(str(tmp_path), LABELS), phase='test')
    meta = ds.metainfo
    assert meta['classes'] == CLASSES
    assert meta['seen_classes'] == ('a', 'b', 'd')
    assert meta['unseen_classes'] == ('c', )
    np.testing.assert_array_equal(ds[0]['gt_seg_map'], LABELS[0])


def test_bad_split_names_raise(tmp_path):
    root = write_dataset(str(tmp_path), LABELS)
    with pytest.raises(ValueError, match='zebra'):
        ZeroShotSegDataset(toy_cfg(root), seen_classes=('a', 'zebra'))
    with pytest.raises(ValueError, match='neither'):
        ZeroShotSegDataset(toy_cfg(root), seen_classes=('a', ),
                           unseen_classes=('b', ), phase='test')


def test_voc20_background_ignored_and_unseen_255(tmp_path):
    # VOC ids: 0 background, 1 aeroplane, 16 potted plant (unseen), 20 tv
    raw = np.array([[0, 1, 16, 20], [15, 255, 0, 2]], np.uint8)
    root = write_dataset(str(tmp_path), [raw], img_suffix='.jpg')
    with open(osp.join(root, 'list.txt'), 'w') as f:
        f.write('00\n')
    cfg = dict(type='PascalVOC20Dataset', data_root=root, ann_file='list.txt',
               data_prefix=dict(img_path='img', seg_map_path='ann'),
               pipeline=[dict(type='LoadAnnotations')])
    train = ZeroShotSegDataset(cfg, class_split='voc_20')
    np.testing.assert_array_equal(
        train[0]['gt_seg_map'],
        [[255, 0, 255, 255], [14, 255, 255, 1]])
    test = ZeroShotSegDataset(cfg, class_split='voc_20', phase='test')
    np.testing.assert_array_equal(
        test[0]['gt_seg_map'], [[255, 0, 15, 19], [14, 255, 255, 1]])
    unseen = get_split('voc_20').unseen_classes
    assert test.metainfo['unseen_classes'] == unseen
    # the old argument names, one FutureWarning each
    with pytest.warns(FutureWarning) as caught:
        old = ZeroShotSegDataset(cfg, zs_split='voc_20', split='test')
    assert [str(w.message).split(' is ')[0] for w in caught] == [
        "ZeroShotSegDataset: 'zs_split'", "ZeroShotSegDataset: 'split'"
    ]
    assert (old.class_split, old.phase) == ('voc_20', 'test')
    np.testing.assert_array_equal(old[0]['gt_seg_map'],
                                  test[0]['gt_seg_map'])


def test_ade847_sixteen_bit_labels(tmp_path):
    split = get_split('ade20k_full_847')
    idx = {n: i for i, n in enumerate(split.classes)}
    seen_idx = {n: i for i, n in enumerate(split.seen_classes)}
    unseen = split.unseen_classes[5]
    raw = np.array([[0, 846, 300, idx[unseen]],
                    [65535, 255, 571, 1]], np.uint16)
    root = write_dataset(str(tmp_path), [raw], dtype=np.uint16,
                         img_suffix='.jpg')
    cfg = dict(type='ADE20KFull847Dataset', data_root=root,
               data_prefix=dict(img_path='img', seg_map_path='ann'),
               pipeline=[dict(type='LoadWideSegAnnotations')])
    test = ZeroShotSegDataset(cfg, class_split='ade20k_full_847', phase='test')
    np.testing.assert_array_equal(test[0]['gt_seg_map'], raw)
    train = ZeroShotSegDataset(cfg, class_split='ade20k_full_847')
    want = np.full(raw.shape, 65535, np.int64)
    for pos, value in np.ndenumerate(raw):
        if value != 65535:
            name = split.classes[value]
            want[pos] = seen_idx.get(name, 65535)
    assert (want != 65535).sum() >= 3 and want[0, 3] == 65535
    np.testing.assert_array_equal(train[0]['gt_seg_map'], want)
    assert len(train.metainfo['classes']) == 572
