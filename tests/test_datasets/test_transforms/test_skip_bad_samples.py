# Copyright (c) mmzs3 contributors. All rights reserved.
"""check_dataset.py reports every bad file; SkipBadSamples skips them."""
import importlib.util
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from ...conftest import REPO_ROOT, write_seg_dataset
from ...train_helpers import TINY_CFG, data_options, run_train, write_config


def _load_tool():
    path = osp.join(REPO_ROOT, 'tools', 'misc', 'check_dataset.py')
    spec = importlib.util.spec_from_file_location('check_dataset', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _truncate(path: str) -> None:
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:
        f.write(data[:len(data) // 2])


def _break_dataset(root: str) -> dict:
    """Give samples 0-4 one problem each; sample 5 stays good."""
    img, ann = osp.join(root, 'img_dir'), osp.join(root, 'ann_dir')
    _truncate(osp.join(img, '000.png'))
    label = np.zeros((32, 32), np.uint8)
    label[5, 5], label[6, 6] = 7, 200  # class range is 0..3, ignore 255
    Image.fromarray(label).save(osp.join(ann, '001.png'))
    Image.fromarray(np.zeros((16, 32), np.uint8)).save(
        osp.join(ann, '002.png'))
    os.remove(osp.join(ann, '003.png'))
    with open(osp.join(ann, '004.png'), 'wb') as f:
        f.write(b'\x89PNG not really')
    return {
        osp.join(img, '000.png'): 'corrupt or truncated image file',
        osp.join(ann, '001.png'): 'label values outside the class range '
        '0..3 and not the ignore index 255: 7, 200',
        osp.join(ann, '002.png'): 'label size (16, 32) differs from the '
        f'image size (32, 32) of {osp.join(img, "002.png")}',
        osp.join(ann, '003.png'): 'missing label file',
        osp.join(ann, '004.png'): 'corrupt or truncated label file',
    }


def test_check_dataset_reports_every_problem(tmp_path, capsys):
    root = write_seg_dataset(str(tmp_path / 'data'), num_images=6)
    expected = _break_dataset(root)
    tool = _load_tool()
    status = tool.main([TINY_CFG, '--split', 'val', '--cfg-options',
                        *data_options(root)])
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert status == 1
    assert lines[-1].startswith('5 problem(s) in the val split')
    reported = dict(line.split(': ', 1) for line in lines[:-1])
    assert reported.keys() == expected.keys()
    for path, problem in expected.items():
        assert reported[path].startswith(problem), reported[path]
    assert '6/6' in captured.err  # the progress bar went through all


def test_check_dataset_clean_and_empty_splits(tmp_path, capsys):
    tool = _load_tool()
    root = write_seg_dataset(str(tmp_path / 'good'))
    assert tool.main([TINY_CFG, '--cfg-options', *data_options(root)]) == 0
    assert capsys.readouterr().out.startswith('0 problem(s)')
    empty = tmp_path / 'empty'
    (empty / 'img_dir').mkdir(parents=True)
    (empty / 'ann_dir').mkdir()
    assert tool.main([TINY_CFG, '--split', 'test', '--cfg-options',
                      *data_options(str(empty))]) == 1
    assert 'empty test split: the dataset found no samples' in (
        capsys.readouterr().out)
    assert tool.main([TINY_CFG, '--cfg-options',
                      *data_options(str(tmp_path / 'nowhere'))]) == 1
    out = capsys.readouterr().out
    assert 'cannot build the train dataset (FileNotFoundError' in out
    assert 'nowhere' in out


CHECKED_PIPELINE = """
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='SkipBadSamples', num_classes=4, on_bad='ON_BAD', transforms=[
        dict(type='LoadImageFromFile'), dict(type='LoadAnnotations')]),
    dict(type='PackSegInputs')]))
"""


@pytest.mark.timeout(300)
def test_training_stops_clearly_or_skips_and_logs_bad_samples(tmp_path):
    root = write_seg_dataset(str(tmp_path / 'data'), num_images=6)
    expected = _break_dataset(root)
    config = write_config(str(tmp_path / 'raise'),
                          CHECKED_PIPELINE.replace('ON_BAD', 'raise'))
    plain = run_train(config, str(tmp_path / 'w1'), root)
    assert plain.returncode != 0  # as in mmzs3's dataset configs
    message = [line for line in plain.stderr.splitlines()
               if line.startswith('mmzs3.datasets.transforms.'
                                  'skip_bad_samples.BadSampleError')]
    assert message, plain.stderr[-3000:]
    named = [path for path in expected
             if f'bad training sample {path.replace("ann_dir", "img_dir")}'
             in message[0]]
    assert len(named) == 1, message[0]
    config = write_config(str(tmp_path / 'skip'),
                          CHECKED_PIPELINE.replace('ON_BAD', 'skip'))
    good = write_seg_dataset(str(tmp_path / 'good'))
    result = run_train(config, str(tmp_path / 'w2'), root, options=(
        f'val_dataloader.dataset.data_root={good}', ))
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    skipped = [x for x in log.splitlines() if 'SkipBadSamples: skipping' in x]
    assert skipped
    names = {x.split('skipping ')[1].split(':')[0] for x in skipped}
    img_dir = osp.join(root, 'img_dir')
    assert names <= {osp.join(img_dir, f'00{i}.png') for i in range(5)}
    assert osp.join(img_dir, '005.png') not in names


def test_check_dataset_zero_shot_train_split(tmp_path, capsys):
    """Through ZeroShotSegDataset: unseen labels become the ignore index,
    so only values outside every class are reported."""
    root = write_seg_dataset(str(tmp_path / 'data'), num_images=2)
    label = np.array(Image.open(osp.join(root, 'ann_dir', '001.png')))
    label[0, 0] = 9
    Image.fromarray(label).save(osp.join(root, 'ann_dir', '001.png'))
    config = write_config(str(tmp_path), """
train_dataloader = dict(dataset=dict(
    _delete_=True, type='ZeroShotSegDataset', phase='train',
    seen_classes=('a', 'b'), unseen_classes=('c', 'd'),
    dataset=dict(type='BaseSegDataset', data_root='ROOT',
                 metainfo=dict(classes=('a', 'b', 'c', 'd')),
                 img_suffix='.png', seg_map_suffix='.png',
                 data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
                 pipeline=[])))
""".replace('ROOT', root))
    assert _load_tool().main([config]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f'{osp.join(root, "ann_dir", "001.png")}: label values outside the '
        'class range 0..1 and not the ignore index 255: 9',
        f'1 problem(s) in the train split of {config}'
    ]
