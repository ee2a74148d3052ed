# Copyright (c) mmzs3 contributors. All rights reserved.
"""tools/demo/image_demo.py on a tiny random ZegFormer."""
import importlib.util
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from ..conftest import REPO_ROOT

sys.path.insert(0,
                osp.join(REPO_ROOT, 'tests', 'test_models', 'test_segmentors'))
from tiny_zegformer import build_tiny_model, tiny_model_cfg  # noqa: E402

DEMO = osp.join(REPO_ROOT, 'tools', 'demo', 'image_demo.py')


def load_demo():
    spec = importlib.util.spec_from_file_location('image_demo', DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp('demo')
    config = root / 'tiny.py'
    Config(dict(default_scope='mmseg', model=tiny_model_cfg())).dump(
        str(config))
    checkpoint = root / 'tiny.pth'
    torch.save(dict(state_dict=build_tiny_model().state_dict()), checkpoint)
    rng = np.random.default_rng(0)
    image = np.zeros((96, 128, 3), np.uint8)
    for i, colour in enumerate(rng.integers(0, 255, (4, 3))):
        image[:, 32 * i:32 * (i + 1)] = colour
    Image.fromarray(image).save(root / 'demo.png')
    return root


def test_cli_writes_overlay_and_prints_table(files):
    out = files / 'overlay.png'
    proc = subprocess.run([
        sys.executable, DEMO,
        str(files / 'demo.png'),
        str(files / 'tiny.py'),
        str(files / 'tiny.pth'), '--classes', 'cat,dog,green grass,sky',
        '--out-file',
        str(out), '--device', 'cpu'
    ],
                          check=True,
                          capture_output=True,
                          text=True,
                          cwd=REPO_ROOT,
                          env=dict(
                              os.environ, MMZS3_TEXT_EMBEDDING_CACHE='off'))
    overlay = np.asarray(Image.open(out))
    assert overlay.shape[0] >= 96 and overlay.shape[1] > 128 + 60
    lines = proc.stdout.splitlines()
    header = next(i for i, line in enumerate(lines) if
                  line.split() == ['class', 'pixels', 'score'])
    rows = lines[header + 1:lines.index(f'overlay written to {out}')]
    rows = [r for r in rows if not r.startswith('(')]
    assert rows, proc.stdout
    shares = [float(r.split()[-2].rstrip('%')) for r in rows]
    assert abs(sum(shares) - 100) < 0.5
    assert shares == sorted(shares, reverse=True)
    names = {' '.join(r.split()[:-2]) for r in rows}
    assert names <= {'cat', 'dog', 'green grass', 'sky'}


def test_classes_file_modes_and_templates(files, capsys, monkeypatch):
    monkeypatch.setenv('MMZS3_TEXT_EMBEDDING_CACHE', 'off')
    names = files / 'names.txt'
    names.write_text('person, people\nárbol\nStraße\n', encoding='utf-8')
    out = files / 'seg.png'
    demo = load_demo()
    demo.main([
        str(files / 'demo.png'),
        str(files / 'tiny.py'),
        str(files / 'tiny.pth'), '--classes-file',
        str(names), '--mode', 'seg', '--templates', 'single',
        '--out-file',
        str(out)
    ])
    printed = capsys.readouterr().out
    assert osp.isfile(out)
    assert any(n in printed for n in ('person, people', 'árbol', 'Straße'))
    assert demo.class_list(['cat, dog,grass']) == ['cat', 'dog', 'grass']
    assert demo.class_list(['cat', 'person, people']) == [
        'cat', 'person, people'
    ]


def test_model_name_without_local_checkpoint_names_the_file(files):
    demo = load_demo()
    with pytest.raises(FileNotFoundError) as info:
        demo.main([
            str(files / 'demo.png'), 'zegformer_r50_coco', '--classes',
            'cat', '--checkpoint-dir',
            str(files / 'ckpts')
        ])
    assert str(files / 'ckpts' / 'zegformer_r50_coco.pth') in str(info.value)
    assert 'zegformer2mmzs3.py' in str(info.value)


def test_classes_default_to_the_checkpoint(files, capsys, monkeypatch):
    """Without --classes the checkpoint's names are used; a checkpoint
    without names gets a clear error."""
    monkeypatch.setenv('MMZS3_TEXT_EMBEDDING_CACHE', 'off')
    stored = files / 'stored.pth'
    torch.save(
        dict(state_dict=build_tiny_model().state_dict(),
             meta=dict(dataset_meta=dict(classes=['red', 'blue', 'green'],
                                         seen_classes=['red']),
                       gamma=0.3)), stored)
    demo = load_demo()
    out = files / 'stored.png'
    demo.main([str(files / 'demo.png'), str(files / 'tiny.py'),
               str(stored), '--out-file', str(out)])
    printed = capsys.readouterr().out
    rows = printed.splitlines()
    header = next(i for i, r in enumerate(rows)
                  if r.split() == ['class', 'pixels', 'score'])
    names = {r.split()[0] for r in rows[header + 1:-1]
             if not r.startswith('(')}
    assert names and names <= {'red', 'blue', 'green'}
    assert osp.isfile(out)
    with pytest.raises(SystemExit, match='--classes'):
        demo.main([str(files / 'demo.png'), str(files / 'tiny.py'),
                   str(files / 'tiny.pth')])
