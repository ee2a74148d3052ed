# Copyright (c) mmzs3 contributors. All rights reserved.
import pytest
import torch

from mmzs3.models.text_encoders import VocabularyEncoder, get_templates
from .test_openclip_text_encoder import make_encoder


def _counting(encoder, monkeypatch):
    """Record the (names, templates) of every ``encode`` call."""
    calls = []
    encode = encoder.encode

    def spy(names, templates=None):
        calls.append((tuple(names), templates))
        return encode(names, templates)

    monkeypatch.setattr(encoder, 'encode', spy)
    return calls


def test_branches_use_their_templates():
    text_encoder = make_encoder(cache_dir=False)
    vocabulary = VocabularyEncoder(text_encoder, dict(clip='clip_select'))
    assert vocabulary.templates['segment'] == ('a {}', 'the {} here')
    assert vocabulary.templates['clip'] == get_templates('clip_select')
    assert len(vocabulary.templates['clip']) == 32
    names = ('cat', 'dog, puppy')
    torch.testing.assert_close(vocabulary(names), text_encoder.encode(names))
    torch.testing.assert_close(
        vocabulary(names, 'clip'),
        text_encoder.encode(names, get_templates('clip_select')))
    assert not torch.allclose(vocabulary(names), vocabulary(names, 'clip'))


def test_one_encoding_per_vocabulary_until_the_weights_change(monkeypatch):
    text_encoder = make_encoder(cache_dir=False)
    vocabulary = VocabularyEncoder(text_encoder, {})
    calls = _counting(text_encoder, monkeypatch)
    first = vocabulary(['cat', 'dog'])
    assert vocabulary(('cat', 'dog')) is first  # e.g. every sliding crop
    assert len(calls) == 1
    vocabulary(['dog'])
    assert len(calls) == 2
    text_encoder.clear_memo()  # new weights
    vocabulary(['dog'])
    assert len(calls) == 3


def test_bad_branch_or_names_are_clear_errors():
    text_encoder = make_encoder(cache_dir=False)
    with pytest.raises(ValueError, match='unknown branches'):
        VocabularyEncoder(text_encoder, dict(image='single'))
    vocabulary = VocabularyEncoder(text_encoder, {})
    with pytest.raises(ValueError, match='branch'):
        vocabulary(['cat'], 'image')
    with pytest.raises(ValueError, match='VocabularyEncoder'):
        vocabulary(['cat', 'cat'])
