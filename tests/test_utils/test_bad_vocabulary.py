# Copyright (c) mmzs3 contributors. All rights reserved.
"""Bad vocabularies give clear errors or documented normalisations."""
import json
import os.path as osp

import pytest
import torch
from mmseg.datasets import BaseSegDataset

from mmzs3.datasets import ZeroShotSegDataset
from mmzs3.models.text_encoders import OpenCLIPTextEncoder
from mmzs3.utils import ClassListError, read_class_names
from ..conftest import REPO_ROOT

TINY_JSON = osp.join(REPO_ROOT, 'tests', 'data', 'openclip_tiny.json')


def _write(path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize('data', [
    b'\xef\xbb\xbfcat\r\ndog\r\n\r\n',  # BOM, Windows endings, blank tail
    b'cat\rdog\r',  # old Mac endings
    b'  cat \n\tdog\n\n \n',  # white space around names
])
def test_class_file_normalisation(tmp_path, data):
    assert read_class_names(_write(tmp_path / 'n.txt', data)) == [
        'cat', 'dog'
    ]


@pytest.mark.parametrize('data,message', [
    (b'cat\n\ndog\n', "line 2: '' is an empty name"),
    (b'cat\ndog\ncat\n', "line 3: 'cat' repeats line 1"),
    (b'\xef\xbb\xbf\r\n \n', 'is empty; give at least one name'),
    (b'cat\nd\x00og\n', 'control character'),
])
def test_class_file_errors(tmp_path, data, message):
    path = _write(tmp_path / 'n.txt', data)
    with pytest.raises(ClassListError, match=message) as info:
        read_class_names(path)
    assert path in str(info.value)


def test_dataset_metainfo_file_with_bom_and_crlf(tmp_path, tiny_seg_dataset,
                                                  safe_io):
    names = _write(tmp_path / 'names.txt', b'\xef\xbb\xbfa\r\nb\r\nc\r\nd\r\n')
    dataset = BaseSegDataset(
        metainfo=dict(classes=names), data_root=tiny_seg_dataset,
        data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
        img_suffix='.png', seg_map_suffix='.png')
    assert dataset.metainfo['classes'] == ['a', 'b', 'c', 'd']


def _encoder() -> OpenCLIPTextEncoder:
    with open(TINY_JSON) as f:
        model_cfg = json.load(f)
    torch.manual_seed(0)
    return OpenCLIPTextEncoder(
        model_name='mmzs3-tiny-reliability', model_cfg=model_cfg,
        templates=['a photo of a {}.'], cache_dir=False)


@pytest.mark.parametrize('names,message', [
    (['cat', ''], r"names\[1\]: '' is an empty name"),
    (['cat', ' \t'], r"names\[1\]: ' \\t' is an empty name"),
    (['cat', 'dog', 'cat'], r"names\[2\]: 'cat' repeats names\[0\]"),
    (['\ufeffcat', 'dog'], 'byte-order mark'),
    (['cat\r', 'dog'], 'white space at either end'),
    (['cat', ' dog'], r"names\[1\]: ' dog' has white space"),
    (['cat', 3], r'names\[1\]: 3 is not a string'),
    ('cat', 'must be a list of names'),
])
def test_text_encoder_rejects_bad_names_before_tokenizing(names, message):
    encoder = _encoder()
    encoder._tokenizer = lambda *a: pytest.fail('tokenizer reached')
    with pytest.raises(ValueError, match=message):
        encoder.encode(names)


def test_names_longer_than_context_are_truncated():
    """Documented normalisation: open_clip's tokenizer keeps the first
    ``context_length`` tokens (16 here, EOT included) of each sentence."""
    encoder = _encoder()
    head = ' '.join(['striped'] * 20)
    long_a, long_b = head + ' cat', head + ' dog'
    out = encoder.encode([long_a, long_b, 'cat'])
    assert out.shape == (3, 16) and torch.isfinite(out).all()
    assert torch.equal(out[0], out[1])  # differ after the context only
    assert not torch.equal(out[0], out[2])


def test_seen_names_outside_test_vocabulary(tiny_seg_dataset):
    inner = dict(
        type='BaseSegDataset', data_root=tiny_seg_dataset,
        metainfo=dict(classes=('a', 'b', 'c', 'd')),
        data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
        img_suffix='.png', seg_map_suffix='.png')
    with pytest.raises(ValueError, match=r"not in the dataset \['zz'\]"):
        ZeroShotSegDataset(inner, seen_classes=('a', 'zz'),
                           unseen_classes=('b', 'c', 'd'), phase='test')


def test_model_refuses_seen_names_outside_test_vocabulary():
    from ..test_models.test_segmentors.tiny_zegformer import build_tiny_model
    model = build_tiny_model(with_clip=False)
    with pytest.raises(ValueError, match=r"seen classes \['dgo'\] are not"):
        model.set_vocabulary(('cat', 'dog', 'sky'), ('cat', 'dgo'))
    model.set_vocabulary(('cat', 'dog', 'sky'), ('cat', 'dog'))
    assert model.seen_mask().tolist() == [True, True, False]
