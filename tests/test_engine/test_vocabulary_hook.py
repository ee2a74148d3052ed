# Copyright (c) mmzs3 contributors. All rights reserved.
from types import SimpleNamespace

import pytest
import torch.nn as nn
from mmengine.model import MMDistributedDataParallel

from mmzs3.engine.hooks import VocabularyHook
from mmzs3.registry import HOOKS


class RecordingModel(nn.Module):
    """Records ``set_vocabulary`` calls like ZegFormer receives them."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def set_vocabulary(self, classes, seen_classes=None, mode='test'):
        self.calls.append((mode, tuple(classes), seen_classes))


def _runner(model, **metainfos):
    loaders = {
        f'{split}_dataloader':
        SimpleNamespace(dataset=SimpleNamespace(metainfo=meta))
        for split, meta in metainfos.items()
    }
    return SimpleNamespace(model=model, **loaders)


def test_vocabularies_come_from_metainfo():
    model = RecordingModel()
    runner = _runner(
        model,
        train=dict(classes=('cat', 'dog')),
        val=dict(classes=('cat', 'tree', 'dog'),
                 seen_classes=('cat', 'dog'), unseen_classes=('tree', )),
        test=dict(classes=('sky', 'cat', 'road'), unseen_classes=('road', )))
    hook = HOOKS.build(dict(type='VocabularyHook'))
    hook.before_train(runner)
    hook.before_val(runner)
    hook.before_test(runner)
    assert model.calls == [
        ('train', ('cat', 'dog'), None),
        ('test', ('cat', 'tree', 'dog'), ('cat', 'dog')),
        # seen = classes minus unseen_classes, in class order
        ('test', ('sky', 'cat', 'road'), ('sky', 'cat')),
    ]


def test_without_split_keys_the_model_keeps_its_seen_classes():
    model = RecordingModel()
    VocabularyHook().before_val(_runner(model, val=dict(classes=('a', ))))
    assert model.calls == [('test', ('a', ), None)]


def test_wrapped_model_is_unwrapped():
    model = RecordingModel()
    wrapper = MMDistributedDataParallel.__new__(MMDistributedDataParallel)
    nn.Module.__init__(wrapper)
    wrapper.module = model
    VocabularyHook().before_train(_runner(wrapper, train=dict(classes=['x'])))
    assert model.calls == [('train', ('x', ), None)]


def test_clear_errors():
    with pytest.raises(KeyError, match='classes'):
        VocabularyHook().before_train(
            _runner(RecordingModel(), train=dict(palette=[])))
    with pytest.raises(TypeError, match='set_vocabulary'):
        VocabularyHook().before_train(
            _runner(nn.Linear(1, 1), train=dict(classes=['x'])))


def test_seen_names_of_the_loaded_checkpoint():
    """A test set without split keys (a plain mmseg dataset) takes the seen
    names the checkpoint records, unless the model's config sets some."""
    checkpoint = dict(meta=dict(dataset_meta=dict(
        classes=['cat', 'tree', 'dog'], seen_classes=['cat', 'dog'],
        unseen_classes=['tree'])))
    model = RecordingModel()
    model.seen_classes = None
    runner = _runner(model, test=dict(classes=('dog', 'sky', 'tree')))
    hook = VocabularyHook()
    hook.before_test(runner)
    hook.after_load_checkpoint(runner, checkpoint)
    hook.before_test(runner)
    model.seen_classes = ('sky', )
    hook.before_test(runner)
    assert model.calls == [
        ('test', ('dog', 'sky', 'tree'), None),
        ('test', ('dog', 'sky', 'tree'), ('dog', )),
        ('test', ('dog', 'sky', 'tree'), None),  # the model's own
    ]
    # a training checkpoint names the classes it trained on: all seen
    model.seen_classes = None
    hook.after_load_checkpoint(
        runner, dict(meta=dict(dataset_meta=dict(classes=['sky']))))
    hook.before_test(runner)
    assert model.calls[-1] == ('test', ('dog', 'sky', 'tree'), ('sky', ))
