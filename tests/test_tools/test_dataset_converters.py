# Copyright (c) mmzs3 contributors. All rights reserved.
"""Preparation tools on miniature fake releases, checked pixel by pixel."""
import importlib.util
import os
import os.path as osp
import pickle

import cv2
import numpy as np
import pytest
import scipy.io
from PIL import Image

from mmzs3.datasets import get_split
from mmzs3.datasets.splits import ADE20K_FULL_847_TABLE, COCO_STUFF_171_TABLE
from ..conftest import Exploit

TOOLS = osp.join(osp.dirname(osp.dirname(osp.dirname(__file__))), 'tools',
                 'dataset_converters')


def load_tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(TOOLS, name + '.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- COCO
def test_coco_stuff_converter(tmp_path):
    tool = load_tool('coco_stuff164k_zs')
    src, out = tmp_path / 'stuffthingmaps', tmp_path / 'out'
    os.makedirs(src / 'val2017')
    # 0 person, 20 cow (unseen), 181 wood, 11 unused, 255 ignore, 123 grass
    raw = np.array([[0, 20, 181], [11, 255, 123]], np.uint8)
    Image.fromarray(raw).save(src / 'val2017' / 'a.png')
    tool.main([str(src), str(out), '--splits', 'val2017'])
    got = np.array(Image.open(out / 'val2017' / 'a.png'))
    classes = get_split('coco_stuff_171').classes
    np.testing.assert_array_equal(
        got, [[0, classes.index('cow'), classes.index('wood')],
              [255, 255, classes.index('grass')]])
    assert classes.index('cow') == 156 and classes.index('wood') == 155
    png_of = {name: png for name, png, _ in COCO_STUFF_171_TABLE}
    assert png_of[classes[got[1, 2]]] == 123

    # resumable: a valid output is not rewritten, a broken one is
    mtime = os.stat(out / 'val2017' / 'a.png').st_mtime_ns
    Image.fromarray(raw).save(src / 'val2017' / 'b.png')
    (out / 'val2017' / 'b.png').write_bytes(b'broken')
    written = tool.convert_split(str(src / 'val2017'), str(out / 'val2017'))
    assert written == ['b.png']
    assert os.stat(out / 'val2017' / 'a.png').st_mtime_ns == mtime


def test_coco_stuff_converter_refuses_bad_input(tmp_path):
    tool = load_tool('coco_stuff164k_zs')
    src = tmp_path / 'src'
    os.makedirs(src / 'val2017')
    Image.fromarray(np.array([[0, 200]], np.uint8)).save(src / 'val2017' /
                                                         'x.png')
    with pytest.raises(ValueError, match=r'\[200\].*x\.png'):
        tool.main([str(src), str(tmp_path / 'o'), '--splits', 'val2017'])
    os.remove(src / 'val2017' / 'x.png')
    (src / 'val2017' / 'y.png').write_bytes(b'not a png')
    with pytest.raises(ValueError, match='y.png'):
        tool.main([str(src), str(tmp_path / 'o'), '--splits', 'val2017'])


# ---------------------------------------------------------------- VOC
def write_voc_release(root):
    voc, sbd = root / 'VOC2012', root / 'sbd'
    for d in ('SegmentationClass', 'ImageSets/Segmentation', 'JPEGImages'):
        os.makedirs(voc / d)
    os.makedirs(sbd / 'cls')
    # VOC: train t1, val v1 (both with PNGs); SBD: train s1, t1; val s2, v1
    palette = [0, 0, 0, 128, 0, 0] * 128
    for name, values in (('t1', [[1, 255], [0, 20]]), ('v1', [[2, 2],
                                                             [255, 0]])):
        img = Image.fromarray(np.array(values, np.uint8), mode='P')
        img.putpalette(palette)
        img.save(voc / 'SegmentationClass' / f'{name}.png')
    (voc / 'ImageSets/Segmentation/train.txt').write_text('t1\n')
    (voc / 'ImageSets/Segmentation/val.txt').write_text('v1\n')
    (sbd / 'train.txt').write_text('s1\nt1\n')
    (sbd / 'val.txt').write_text('s2\nv1\n')
    for name, values in (('s1', [[3, 0], [0, 15]]), ('s2', [[16, 16],
                                                             [0, 1]]),
                         ('t1', [[9, 9], [9, 9]]), ('v1', [[9, 9], [9, 9]])):
        seg = np.array(values, np.uint8)
        scipy.io.savemat(
            str(sbd / 'cls' / f'{name}.mat'),
            dict(GTcls=dict(Segmentation=seg, Boundaries=np.zeros(1),
                            CategoriesPresent=np.unique(seg))))
    return voc, sbd


def test_voc_aug_converter(tmp_path):
    tool = load_tool('voc_aug_zs')
    voc, sbd = write_voc_release(tmp_path)
    tool.main([str(voc), str(sbd)])
    aug = (voc / 'ImageSets/Segmentation/aug.txt').read_text().split()
    assert aug == ['s1', 's2', 't1']  # v1 (VOC val) excluded
    out = voc / 'SegmentationClassAug'

    def read(name):
        return np.array(Image.open(out / f'{name}.png'))

    np.testing.assert_array_equal(read('s1'), [[3, 0], [0, 15]])
    np.testing.assert_array_equal(read('s2'), [[16, 16], [0, 1]])
    np.testing.assert_array_equal(read('t1'), [[1, 255], [0, 20]])  # VOC
    np.testing.assert_array_equal(read('v1'), [[2, 2], [255, 0]])
    # resumable: existing outputs are kept as they are
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(out / 's1.png')
    tool.main([str(voc), str(sbd)])
    np.testing.assert_array_equal(read('s1'), 0)


def test_voc_aug_converter_refuses_bad_input(tmp_path):
    tool = load_tool('voc_aug_zs')
    voc, sbd = write_voc_release(tmp_path)
    scipy.io.savemat(str(sbd / 'cls' / 's1.mat'),
                     dict(GTcls=dict(Segmentation=np.full((2, 2), 21,
                                                          np.uint8))))
    with pytest.raises(ValueError, match=r'\[21\].*s1\.mat'):
        tool.main([str(voc), str(sbd)])
    (sbd / 'cls' / 's1.mat').write_bytes(b'garbage')
    with pytest.raises(ValueError, match='s1.mat'):
        tool.main([str(voc), str(sbd)])


# ---------------------------------------------------------------- ADE
def encode_ade(ids):
    """ADE mask RGB from object ids: R = id // 256 * 10, G = id % 256."""
    ids = np.asarray(ids)
    rgb = np.zeros(ids.shape + (3, ), np.uint8)
    rgb[..., 0] = (ids // 256) * 10
    rgb[..., 1] = ids % 256
    return rgb


def write_ade_release(root, ids_by_image, num_objects=3688):
    folders, files = [], []
    for subset, name, ids in ids_by_image:
        folder = f'ADE20K_2021_17_01/images/ADE/{subset}/scene'
        os.makedirs(root / folder, exist_ok=True)
        h, w = np.asarray(ids).shape
        img = np.full((h, w, 3), 100, np.uint8)
        cv2.imwrite(str(root / folder / f'{name}.jpg'), img)
        Image.fromarray(encode_ade(ids)).save(root / folder /
                                              f'{name}_seg.png')
        folders.append(folder)
        files.append(f'{name}.jpg')
    index = dict(folder=folders, filename=files,
                 objectnames=[f'obj{i}' for i in range(num_objects)],
                 objectPresence=np.zeros((num_objects, len(files)),
                                         np.uint16))
    with open(root / 'ADE20K_2021_17_01' / 'index_ade20k.pkl', 'wb') as f:
        pickle.dump(index, f)


def test_ade_converter(tmp_path):
    tool = load_tool('ade20k_full_847')
    obj = {name: oid for name, oid, _, _ in ADE20K_FULL_847_TABLE}
    wall, add = obj['wall'], obj['adding machine, totalizer, totaliser']
    assert (wall, add) == (2978, 3148)
    not_847 = 5  # an ADE object id outside the 847 classes
    assert not_847 not in obj.values()
    small = [[wall, add, 0, not_847], [wall, wall, add, 0]]
    big = np.full((600, 1024), wall)
    big[:, 512:] = add
    write_ade_release(tmp_path, [('training', 'a', small),
                                 ('validation', 'b', big)])
    out = tmp_path / 'out'
    tool.main([str(tmp_path), str(out)])
    label = cv2.imread(str(out / 'annotations/training/a.png'),
                       cv2.IMREAD_UNCHANGED)
    assert label.dtype == np.uint16
    np.testing.assert_array_equal(
        label, [[0, 846, 65535, 65535], [0, 0, 846, 65535]])
    big_label = cv2.imread(str(out / 'annotations/validation/b.png'),
                           cv2.IMREAD_UNCHANGED)
    big_img = cv2.imread(str(out / 'images/validation/b.jpg'))
    assert big_label.shape == big_img.shape[:2] == (512, 874)
    assert set(np.unique(big_label).tolist()) == {0, 846}
    assert (big_label[:, :430] == 0).all() and (big_label[:, 445:] ==
                                                 846).all()
    # resumable: valid outputs are skipped
    mtime = os.stat(out / 'annotations/training/a.png').st_mtime_ns
    tool.main([str(tmp_path), str(out)])
    assert os.stat(out / 'annotations/training/a.png').st_mtime_ns == mtime


def test_ade_converter_refuses_bad_input(tmp_path):
    tool = load_tool('ade20k_full_847')
    write_ade_release(tmp_path, [('training', 'a', [[1, 3000]])],
                      num_objects=2000)
    with pytest.raises(ValueError, match=r'3000.*a_seg\.png'):
        tool.main([str(tmp_path), str(tmp_path / 'out')])
    seg = tmp_path / 'ADE20K_2021_17_01/images/ADE/training/scene/a_seg.png'
    seg.write_bytes(b'broken')
    with pytest.raises(ValueError, match='a_seg.png'):
        tool.main([str(tmp_path), str(tmp_path / 'out')])


def test_ade_converter_refuses_an_index_carrying_code(tmp_path):
    tool = load_tool('ade20k_full_847')
    write_ade_release(tmp_path, [('training', 'a', [[1, 2]])])
    marker = tmp_path / 'ran'
    index = tmp_path / 'ADE20K_2021_17_01' / 'index_ade20k.pkl'
    with open(index, 'wb') as f:
        pickle.dump(dict(folder=[], filename=[], objectnames=[],
                         hook=Exploit(str(marker))), f)
    with pytest.raises(ValueError, match=r'index_ade20k\.pkl.*system'):
        tool.main([str(tmp_path), str(tmp_path / 'out')])
    assert not marker.exists()
