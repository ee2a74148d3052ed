# Copyright (c) mmzs3 contributors. All rights reserved.
import glob
import json
import multiprocessing as mp
import os
import os.path as osp

import torch

from mmzs3.models.text_encoders import OpenCLIPTextEncoder
from mmzs3.models.utils.text_embedding_cache import (TextEmbeddingCache,
                                                     default_cache_dir,
                                                     entry_key,
                                                     state_dict_digest)
from ._cache_workers import reader, writer

TINY_JSON = osp.join(
    osp.dirname(__file__), '..', '..', 'data', 'openclip_tiny.json')
TEMPLATES = ['a {}', 'the {} here']


def make_encoder(cache_dir, templates=TEMPLATES, seed=0):
    with open(TINY_JSON) as f:
        cfg = json.load(f)
    torch.manual_seed(seed)
    return OpenCLIPTextEncoder(
        model_name='mmzs3-tiny-test',
        model_cfg=cfg,
        templates=templates,
        cache_dir=cache_dir)


def count_tower_names(encoder):
    """Record the names each call of the tower encodes."""
    calls = []
    original = encoder._encode_uncached

    def wrapped(names, templates):
        calls.append(list(names))
        return original(names, templates)

    encoder._encode_uncached = wrapped
    return calls


def cache_files(root):
    return sorted(glob.glob(osp.join(str(root), '*', '*.pt')))


def test_default_dir_and_env(monkeypatch, tmp_path):
    monkeypatch.delenv('MMZS3_TEXT_EMBEDDING_CACHE', raising=False)
    assert default_cache_dir() == osp.join(
        osp.expanduser('~'), '.cache', 'mmzs3', 'text_embeddings')
    monkeypatch.setenv('MMZS3_TEXT_EMBEDDING_CACHE', str(tmp_path))
    assert TextEmbeddingCache().cache_dir == str(tmp_path)
    monkeypatch.setenv('MMZS3_TEXT_EMBEDDING_CACHE', 'off')
    assert not TextEmbeddingCache().enabled
    assert not TextEmbeddingCache(False).enabled


def test_warm_hit_is_bit_identical(tmp_path):
    reference = make_encoder(False).encode(['cat', 'dog, puppy'])
    cold = make_encoder(str(tmp_path))
    cold_calls = count_tower_names(cold)
    cold_out = cold.encode(['cat', 'dog, puppy'])
    assert cold_calls == [['cat', 'dog, puppy']]
    assert len(cache_files(tmp_path)) == 2
    warm = make_encoder(str(tmp_path))
    warm_calls = count_tower_names(warm)
    warm_out = warm.encode(['cat', 'dog, puppy'])
    assert warm_calls == []
    assert torch.equal(cold_out, reference)
    assert torch.equal(warm_out, reference)


def test_name_template_weight_changes_miss(tmp_path):
    make_encoder(str(tmp_path)).encode(['cat', 'dog'])
    # a new name: only that name runs through the tower
    encoder = make_encoder(str(tmp_path))
    calls = count_tower_names(encoder)
    encoder.encode(['cat', 'dog', 'bird'])
    assert calls == [['bird']]
    # other templates: every name misses
    encoder = make_encoder(str(tmp_path), templates=['a {}'])
    calls = count_tower_names(encoder)
    encoder.encode(['cat', 'dog'])
    assert calls == [['cat', 'dog']]
    # other weights (loaded in place): every name misses, new values
    encoder = make_encoder(str(tmp_path))
    before = encoder.encode(['cat'])
    state = {k: v + 0.01 for k, v in encoder.state_dict().items()}
    encoder.load_state_dict(state)
    calls = count_tower_names(encoder)
    after = encoder.encode(['cat'])
    assert calls == [['cat']]
    assert not torch.allclose(before, after)
    fresh = make_encoder(False)
    fresh.load_state_dict(state)
    assert torch.equal(after, fresh.encode(['cat']))


def test_weight_digest_changes_with_any_value():
    encoder = make_encoder(False)
    digest = state_dict_digest(encoder.model)
    assert digest == state_dict_digest(encoder.model)
    state = encoder.model.state_dict()
    key = sorted(state)[0]
    state[key] = state[key].clone()
    state[key].view(-1)[0] += 1e-6
    assert state_dict_digest(state) != digest


def test_torn_and_mismatched_files_are_recomputed(tmp_path):
    reference = make_encoder(False).encode(['cat', 'dog'])
    make_encoder(str(tmp_path)).encode(['cat', 'dog'])
    files = cache_files(tmp_path)
    assert len(files) == 2
    # tear one file (crash mid-write of a non-atomic writer)
    with open(files[0], 'rb') as f:
        data = f.read()
    with open(files[0], 'wb') as f:
        f.write(data[:len(data) // 2])
    # overwrite the other with a valid file holding another key
    other = TextEmbeddingCache(str(tmp_path))
    foreign = dict(key=dict(name='not this one'),
                   embedding=torch.ones(16))
    torch.save(foreign, files[1])
    encoder = make_encoder(str(tmp_path))
    calls = count_tower_names(encoder)
    out = encoder.encode(['cat', 'dog'])
    assert sorted(calls[0]) == ['cat', 'dog']
    assert torch.equal(out, reference)
    # the entries were repaired: a fresh encoder hits
    encoder = make_encoder(str(tmp_path))
    calls = count_tower_names(encoder)
    assert torch.equal(encoder.encode(['cat', 'dog']), reference)
    assert calls == []
    assert other.enabled


def test_wrong_size_or_nan_entry_is_a_miss(tmp_path):
    cache = TextEmbeddingCache(str(tmp_path))
    key = entry_key('arch', 'w', ['a {}'], 'cat', 'torch.float32', 'cpu')
    cache.save(key, torch.ones(4))
    assert torch.equal(cache.load(key, 4), torch.ones(4))
    assert cache.load(key, 5) is None
    cache.save(key, torch.tensor([1., float('nan'), 0., 0.]))
    assert cache.load(key) is None


def test_concurrent_writers_never_tear(tmp_path):
    root, dim = str(tmp_path), 200_000  # 800 kB per entry
    key = entry_key('arch', 'w', ['a {}'], 'cat', 'torch.float32', 'cpu')
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    procs = [
        ctx.Process(target=writer, args=(root, key, v, dim, 15))
        for v in (1, 2, 3)
    ] + [ctx.Process(target=reader, args=(root, key, dim, 60, queue))]
    for proc in procs:
        proc.start()
    result = queue.get(timeout=120)
    for proc in procs:
        proc.join(timeout=120)
        assert proc.exitcode == 0
    seen, bad = result
    assert bad == 0
    assert seen and set(seen) <= {1.0, 2.0, 3.0}
    final = TextEmbeddingCache(root).load(key, dim)
    assert final is not None and float(final[0]) in (1.0, 2.0, 3.0)
    assert glob.glob(osp.join(root, '*', '.*.partial')) == []
    assert len(os.listdir(root)) == 1
