# Copyright (c) mmzs3 contributors. All rights reserved.
"""The model index: names and aliases from the metafiles to local files."""
import os.path as osp

import pytest

from mmzs3.apis import (get_model_entry, list_models, load_model_index,
                        resolve_model)
from mmzs3.apis.model_index import converter_dataset

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_every_indexed_config_exists_and_names_are_unique():
    assert list_models() == [
        'zegformer_r101_coco', 'zegformer_r101_voc', 'zegformer_r50_ade847',
        'zegformer_r50_coco', 'zegformer_r50_voc'
    ]
    for entry in load_model_index().values():
        assert osp.isfile(entry['Config']), entry['Config']
        assert entry['Weights'] == entry['Name'] + '.pth'


def test_resolve_finds_the_local_checkpoint_by_name_or_alias(
        tmp_path, monkeypatch):
    (tmp_path / 'zegformer_r101_coco.pth').write_bytes(b'')
    config, weights = resolve_model('ZegFormer_R101_COCO-Stuff',
                                    str(tmp_path))
    assert config == osp.join(REPO_ROOT, 'configs', 'zegformer',
                              'zegformer_r101_coco.py')
    assert weights == str(tmp_path / 'zegformer_r101_coco.pth')
    monkeypatch.setenv('MMZS3_CHECKPOINT_DIR', str(tmp_path))
    assert resolve_model('zegformer_r101_coco') == (config, weights)
    assert get_model_entry('zegformer_r101_coco')['Results'][0]['Metrics'][
        'hIoU'] == 34.8


def test_missing_checkpoint_and_unknown_name_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError) as err:
        resolve_model('zegformer_r50_coco', str(tmp_path))
    message = str(err.value)
    assert str(tmp_path / 'zegformer_r50_coco.pth') in message
    assert 'zegformer2mmzs3.py' in message
    assert '--dataset coco-stuff' in message
    assert converter_dataset('zegformer_r101_voc') == 'voc'
    assert converter_dataset('zegformer_r50_ade847') == 'ade847'
    with pytest.raises(KeyError, match='zegformer_r50_voc'):
        resolve_model('zegformer_r18_coco', str(tmp_path))
