# Copyright (c) mmzs3 contributors. All rights reserved.
"""tools/dataset_converters/make_zs_split.py: splits, files and errors."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config

from mmzs3.datasets import ZeroShotSegDataset
from ..conftest import REPO_ROOT

TOOL = osp.join(REPO_ROOT, 'tools', 'dataset_converters', 'make_zs_split.py')
CLASSES = ['sky', 'building', 'road', 'tree', 'car', 'cat']


def load_tool():
    spec = importlib.util.spec_from_file_location('make_zs_split', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tool():
    return load_tool()


@pytest.fixture
def class_file(tmp_path):
    path = tmp_path / 'data' / 'classes.txt'
    path.parent.mkdir()
    path.write_text('\n'.join(CLASSES) + '\n', encoding='utf-8')
    return path


def read_split(path) -> dict:
    """Rows of a split file after its comments: label -> (name, split)."""
    lines = [
        line for line in path.read_text(encoding='utf-8').splitlines()
        if not line.startswith('#')
    ]
    assert lines[0] == 'label\tname\tsplit'
    rows = [line.split('\t') for line in lines[1:]]
    return {int(label): (name, split) for label, name, split in rows}


def test_unseen_by_name_writes_split_and_config(tool, class_file, tmp_path):
    out = tmp_path / 'out'
    assert tool.main([str(class_file), '--unseen', 'cat,tree',
                      '--out-dir', str(out)]) == 0
    rows = read_split(out / 'split.tsv')
    assert rows == {
        i: (name, 'unseen' if name in ('tree', 'cat') else 'seen')
        for i, name in enumerate(CLASSES)
    }
    cfg = Config.fromfile(str(out / 'config.py'))
    assert cfg.classes == CLASSES
    assert cfg.seen_classes == ['sky', 'building', 'road', 'car']
    assert cfg.unseen_classes == ['tree', 'cat']  # label order
    assert cfg.data_root == str(class_file.parent)
    assert cfg.ignore_index == 255
    assert cfg.model.type == 'ZegFormer'  # inherited from zegformer_tiny
    assert cfg.model.decode_head.num_queries == 16
    train = cfg.train_dataloader.dataset
    assert (train.type, train.phase, train.setting, train.dataset.type) == (
        'ZeroShotSegDataset', 'train', 'inductive', 'BaseSegDataset')
    assert train.dataset.metainfo.classes == CLASSES
    assert cfg.val_dataloader.dataset.phase == 'test'
    assert cfg.val_dataloader.dataset.dataset.data_prefix.img_path == (
        'img_dir/val')
    assert cfg.test_evaluator == dict(type='HIoUMetric', ignore_index=255)
    assert cfg.train_cfg.max_iters == cfg.param_scheduler[0].end == 2000
    assert cfg.train_dataloader.dataset.dataset.pipeline[0].transforms[1] \
        == dict(type='LoadAnnotations')


def test_names_with_commas_and_options(tool, tmp_path):
    classes = tmp_path / 'classes.txt'
    classes.write_text('person, people\ncar\nroad\n', encoding='utf-8')
    out = tmp_path / 'out'
    assert tool.main([
        str(classes), '--unseen', 'person, people', 'road', '--out-dir',
        str(out), '--model', 'configs/_base_/models/zegformer_r50.py',
        '--clip-weights', 'w.bin', '--crop-size', '512', '--max-iters',
        '10', '--reduce-zero-label', '--data-root', 'data/x'
    ]) == 0
    cfg = Config.fromfile(str(out / 'config.py'))
    assert cfg.unseen_classes == ['person, people', 'road']
    assert cfg.model.decode_head.num_queries == 100  # zegformer_r50
    assert cfg.model.text_encoder.pretrained == 'w.bin'
    assert cfg.model.clip_classifier.pretrained == 'w.bin'
    assert cfg.crop_size == (512, 512) and cfg.data_root == 'data/x'
    assert cfg.default_hooks.checkpoint.interval == 10
    assert cfg.train_dataloader.dataset.dataset.reduce_zero_label is True


def test_seeded_draw_is_numpy_default_rng_choice(tool, class_file, tmp_path):
    # The documented rule: default_rng(seed).choice(N, K, replace=False),
    # in label order. Seed 0 over these 6 names gives labels 3 and 4.
    expected = sorted(np.random.default_rng(0).choice(6, 2, replace=False))
    assert expected == [3, 4]
    assert tool.draw_unseen(CLASSES, 2, 0) == ['tree', 'car']
    for seed in range(5):
        labels = sorted(
            np.random.default_rng(seed).choice(6, 3, replace=False))
        assert tool.draw_unseen(CLASSES, 3, seed) == [
            CLASSES[i] for i in labels
        ]
    draws = {tuple(tool.draw_unseen(CLASSES, 3, s)) for s in range(5)}
    assert len(draws) > 1  # the seed matters
    out_a, out_b = tmp_path / 'a', tmp_path / 'b'
    for out in (out_a, out_b):
        assert tool.main([str(class_file), '--num-unseen', '2', '--seed',
                          '0', '--out-dir', str(out)]) == 0
    assert (out_a / 'split.tsv').read_text() == (out_b /
                                                 'split.tsv').read_text()
    text = (out_a / 'split.tsv').read_text()
    assert 'numpy.random.default_rng(0).choice(6, 2, replace=False)' in text
    assert [r for r in read_split(out_a / 'split.tsv').values()
            if r[1] == 'unseen'] == [('tree', 'unseen'), ('car', 'unseen')]


@pytest.mark.parametrize('argv, message', [
    (['--unseen', 'cat,zebra'], "'zebra', which is not a class of"),
    (['--unseen', 'cat,cat'], "--unseen names 'cat' twice"),
    (['--unseen', 'cat,'], '--unseen holds an empty name'),
    (['--unseen', ','.join(CLASSES)], 'at least one class must stay seen'),
    (['--num-unseen', '6'], '--num-unseen must be between 1 and 5'),
    (['--num-unseen', '0'], '--num-unseen must be between 1 and 5'),
])
def test_bad_unseen_names(tool, class_file, tmp_path, capsys, argv, message):
    out = tmp_path / 'out'
    assert tool.main([str(class_file), *argv, '--out-dir', str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err
    if 'zebra' in message:
        assert str(class_file) in err
    assert not out.exists()  # nothing written


def test_close_name_is_suggested(tool, class_file, tmp_path, capsys):
    tool.main([str(class_file), '--unseen', 'trees', '--out-dir',
               str(tmp_path / 'out')])
    assert "did you mean ['tree']" in capsys.readouterr().err


@pytest.mark.parametrize('text, message', [
    ('sky\nsky\n', "line 2: 'sky' repeats line 1"),
    ('sky\n\ncat\n', "line 2: '' is an empty name"),
    ('\n', 'is empty; give at least one name'),
])
def test_bad_class_file(tool, tmp_path, capsys, text, message):
    path = tmp_path / 'classes.txt'
    path.write_text(text, encoding='utf-8')
    assert tool.main([str(path), '--num-unseen', '1', '--out-dir',
                      str(tmp_path / 'out')]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err


def test_failure_leaves_old_files(tool, class_file, tmp_path, monkeypatch):
    out = tmp_path / 'out'
    tool.main([str(class_file), '--unseen', 'cat', '--out-dir', str(out)])
    before = {p.name: p.read_text() for p in out.iterdir()}
    assert sorted(before) == ['config.py', 'split.tsv']

    def broken(*args, **kwargs):
        raise OSError('disk full')

    monkeypatch.setattr(tool, 'config_text', broken)
    assert tool.main([str(class_file), '--unseen', 'tree', '--out-dir',
                      str(out)]) == 2
    assert {p.name: p.read_text() for p in out.iterdir()} == before


def test_wide_labels_above_255_classes(tool, tmp_path):
    """300 classes: 16-bit labels, ignore 65535 everywhere, and the
    wrapper sends unseen label 255 (a class here) to 65535."""
    names = [f'class {i}' for i in range(300)]
    classes = tmp_path / 'classes.txt'
    classes.write_text('\n'.join(names), encoding='utf-8')
    out = tmp_path / 'out'
    assert tool.main([str(classes), '--unseen', 'class 255', 'class 7',
                      '--out-dir', str(out)]) == 0
    cfg = Config.fromfile(str(out / 'config.py'))
    assert cfg.ignore_index == 65535
    assert cfg.model.data_preprocessor.seg_pad_val == 65535
    assert cfg.model.decode_head.ignore_index == 65535
    assert cfg.test_evaluator.ignore_index == 65535
    assert cfg.test_pipeline[2] == dict(
        type='LoadWideSegAnnotations', ignore_index=65535)
    inner = cfg.train_dataloader.dataset
    for sub in ('img_dir/train', 'ann_dir/train'):
        (tmp_path / sub).mkdir(parents=True)
    dataset = ZeroShotSegDataset(
        dataset=dict(inner.dataset, pipeline=[]),
        seen_classes=inner.seen_classes,
        unseen_classes=inner.unseen_classes,
        phase='train',
        lazy_init=True)
    label_map = dataset.dataset.label_map
    assert label_map[255] == label_map[7] == 65535
    assert label_map[256] == 254  # 'class 256' is seen class 254
