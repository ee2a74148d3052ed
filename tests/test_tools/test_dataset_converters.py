# Copyright (c) mmzs3 contributors. All rights reserved.
"""Preparation tools on miniature fake releases, checked pixel by pixel."""
import importlib.util
import os
import os.path as osp
import pickle
import tarfile

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


# ---------------------------------------------------------------- PC-459
PC459_IDS = {  # image id -> LabelMap of source ids (0 = unlabelled)
    '2008_000002': np.array([[0, 1, 2], [459, 284, 0]], np.uint16),
    '2008_000003': np.array([[18, 18, 300], [1, 0, 459]], np.uint16),
    '2008_000007': np.array([[5, 6], [7, 8]], np.uint16),
}


def write_pc459_release(root, label_maps=PC459_IDS, sizes=None):
    """VOC2010 with JPEGImages and ImageSets/Main, and trainval.tar.gz
    holding ``trainval/<id>.mat`` files with a uint16 ``LabelMap``."""
    voc = root / 'VOCdevkit' / 'VOC2010'
    os.makedirs(voc / 'JPEGImages')
    os.makedirs(voc / 'ImageSets' / 'Main')
    mats = root / 'trainval'
    os.makedirs(mats)
    for image_id, ids in label_maps.items():
        h, w = (sizes or {}).get(image_id, ids.shape)
        cv2.imwrite(str(voc / 'JPEGImages' / f'{image_id}.jpg'),
                    np.full((h, w, 3), 90, np.uint8))
        scipy.io.savemat(str(mats / f'{image_id}.mat'), dict(LabelMap=ids))
    # 2008_000004 is in VOC2010's list but has no PASCAL Context label
    (voc / 'ImageSets/Main/train.txt').write_text(
        '2008_000002\n2008_000004\n2008_000007\n')
    (voc / 'ImageSets/Main/val.txt').write_text('2008_000003\n')
    release = root / 'trainval.tar.gz'
    with tarfile.open(release, 'w:gz') as tar:
        tar.add(mats, arcname='trainval')
    return voc, release


def read_label(path):
    label = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert label is not None and label.dtype == np.uint16
    return label


def test_pascal_context_459_converter(tmp_path):
    tool = load_tool('pascal_context_459')
    voc, release = write_pc459_release(tmp_path)
    assert scipy.io.loadmat(str(tmp_path / 'trainval' / '2008_000002.mat'))[
        'LabelMap'].dtype == np.uint16
    tool.main([str(voc), str(release)])
    out = voc / 'annotations_ctx459'
    np.testing.assert_array_equal(
        read_label(out / '2008_000002.png'),
        [[65535, 0, 1], [458, 283, 65535]])
    np.testing.assert_array_equal(
        read_label(out / '2008_000003.png'), [[17, 17, 299], [0, 65535, 458]])
    np.testing.assert_array_equal(
        read_label(out / '2008_000007.png'), [[4, 5], [6, 7]])
    classes = get_split('pascal_context_459').classes
    assert [classes[v] for v in (0, 1, 17, 283, 458)] == [
        'accordion', 'aeroplane', 'bed', 'person', 'wool']
    lists = voc / 'ImageSets' / 'SegmentationContext'
    assert (lists / 'train.txt').read_text().split() == [
        '2008_000002', '2008_000007']
    assert (lists / 'val.txt').read_text().split() == ['2008_000003']

    # resumable: valid outputs and existing lists are kept; the extracted
    # folder works as the release too
    mtime = os.stat(out / '2008_000002.png').st_mtime_ns
    (out / '2008_000003.png').write_bytes(b'broken')
    (lists / 'val.txt').write_text('2008_000003\n2008_000002\n')
    tool.main([str(voc), str(tmp_path / 'trainval')])
    assert os.stat(out / '2008_000002.png').st_mtime_ns == mtime
    np.testing.assert_array_equal(
        read_label(out / '2008_000003.png'), [[17, 17, 299], [0, 65535, 458]])
    assert (lists / 'val.txt').read_text().split() == [
        '2008_000003', '2008_000002']


def test_pascal_context_459_config_reads_converted_labels(tmp_path):
    """The test-pc459 config's dataset, on the converted release, with no
    names file: plain or synonym names, the same labels."""
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmzs3.registry import DATASETS
    tool = load_tool('pascal_context_459')
    voc, release = write_pc459_release(tmp_path)
    tool.main([str(voc), str(release)])
    init_default_scope('mmseg')
    cfg = Config.fromfile(
        osp.join(osp.dirname(osp.dirname(TOOLS)),
                 'configs/zegformer/zegformer_r50_coco_test-pc459.py'))
    loader = cfg.test_dataloader.dataset
    loader.dataset.data_root = str(voc)
    test = DATASETS.build(loader)
    assert len(test) == 1  # val.txt: 2008_000003

    def label(dataset):
        # labels load after the resize: the original size
        return dataset[0]['data_samples'].gt_sem_seg.data[0]

    np.testing.assert_array_equal(label(test),
                                  [[17, 17, 299], [0, 65535, 458]])
    meta = test.metainfo
    assert len(meta['classes']) == 459 and meta['classes'][17] == 'bed'
    assert meta['seen_classes'] == meta['classes']
    loader.dataset.class_names = 'synonyms'
    synonyms = DATASETS.build(loader)
    assert synonyms.metainfo['classes'][17] == 'bed, beds'
    assert synonyms.metainfo['classes'][1].startswith('aeroplane, ')
    np.testing.assert_array_equal(label(synonyms),
                                  [[17, 17, 299], [0, 65535, 458]])
    loader.dataset.class_names = 'fancy'
    with pytest.raises(ValueError, match="'plain', 'synonyms'"):
        DATASETS.build(loader)


def test_pascal_context_459_converter_refuses_bad_input(tmp_path):
    tool = load_tool('pascal_context_459')
    bad = dict(PC459_IDS)
    bad['2008_000003'] = np.array([[1, 460]], np.uint16)
    voc, release = write_pc459_release(tmp_path, bad)
    with pytest.raises(ValueError, match=r'2008_000003\.mat.*\[460\]'):
        tool.main([str(voc), str(release)])
    other = tmp_path / 'other'
    voc, release = write_pc459_release(
        other, sizes={'2008_000002': (5, 7)})
    with pytest.raises(ValueError, match=r'2008_000002.*\(2, 3\).*\(5, 7\)'):
        tool.main([str(voc), str(release)])
    (other / 'trainval' / '2008_000002.mat').write_bytes(b'garbage')
    with pytest.raises(ValueError, match=r'Cannot read.*2008_000002\.mat'):
        tool.main([str(voc), str(other / 'trainval')])
    os.remove(voc / 'JPEGImages' / '2008_000002.jpg')
    with pytest.raises(ValueError, match=r'2008_000002\.jpg'):
        tool.main([str(voc), str(release)])
    (tmp_path / 'broken.tar.gz').write_bytes(b'not a tar')
    with pytest.raises(ValueError, match=r'broken\.tar\.gz'):
        tool.main([str(voc), str(tmp_path / 'broken.tar.gz')])
