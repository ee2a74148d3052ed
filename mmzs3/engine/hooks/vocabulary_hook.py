# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import Optional, Sequence, Tuple

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.utils.data import Dataset

from mmzs3.datasets.splits import checkpoint_vocabulary
from mmzs3.registry import HOOKS


@HOOKS.register_module()
class VocabularyHook(Hook):
    """Give an open-vocabulary segmentor the class names of the datasets.

    Before training, the model's train vocabulary becomes the train
    dataset's metainfo ``classes`` (label ``i`` is name ``i``). Before
    validation and testing, its test vocabulary becomes the val/test
    dataset's ``classes``, and the seen classes its ``seen_classes`` (or
    ``classes`` minus ``unseen_classes``). Without either key the model
    keeps its own seen classes (its config's, else its train vocabulary);
    a model with neither takes the seen names the loaded checkpoint's
    ``meta['dataset_meta']`` records
    (:func:`~mmzs3.datasets.splits.checkpoint_vocabulary`). The model must
    have ``set_vocabulary(classes, seen_classes=None, mode='test')``, like
    ``ZegFormer``; wrapped models (DDP) are unwrapped.
    """

    priority = 'NORMAL'

    def __init__(self) -> None:
        self._checkpoint_seen: Optional[Tuple[str, ...]] = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Remember the seen names the loaded checkpoint records."""
        meta = checkpoint.get('meta') or {}
        _, self._checkpoint_seen = checkpoint_vocabulary(
            meta.get('dataset_meta'))

    def before_train(self, runner) -> None:
        """Set the train vocabulary from the train dataset."""
        classes, _ = self._split(runner.train_dataloader.dataset)
        self._model(runner).set_vocabulary(classes, mode='train')

    def before_val(self, runner) -> None:
        """Set the test vocabulary from the val dataset."""
        self._set_test(runner, runner.val_dataloader.dataset)

    def before_test(self, runner) -> None:
        """Set the test vocabulary from the test dataset."""
        self._set_test(runner, runner.test_dataloader.dataset)

    def _set_test(self, runner, dataset: Dataset) -> None:
        classes, seen = self._split(dataset)
        model = self._model(runner)
        if (seen is None and self._checkpoint_seen is not None
                and getattr(model, 'seen_classes', None) is None
                and getattr(model, 'train_vocabulary', None) is None):
            seen = tuple(n for n in self._checkpoint_seen if n in classes)
        model.set_vocabulary(classes, seen, mode='test')

    @staticmethod
    def _model(runner):
        """The bare model, with a clear error if it has no vocabulary."""
        model = runner.model
        if is_model_wrapper(model):
            model = model.module
        if not hasattr(model, 'set_vocabulary'):
            raise TypeError(
                f'VocabularyHook: {type(model).__name__} has no '
                'set_vocabulary(classes, seen_classes, mode) method')
        return model

    @staticmethod
    def _split(
        dataset: Dataset
    ) -> Tuple[Tuple[str, ...], Optional[Tuple[str, ...]]]:
        """``classes`` and seen classes from a dataset's metainfo."""
        metainfo = getattr(dataset, 'metainfo', None) or {}
        if not metainfo.get('classes'):
            raise KeyError(
                f'VocabularyHook: the metainfo of {type(dataset).__name__} '
                "has no 'classes'")
        classes = tuple(metainfo['classes'])
        seen: Optional[Sequence[str]] = metainfo.get('seen_classes')
        unseen = metainfo.get('unseen_classes')
        if seen is None and unseen is not None:
            seen = [name for name in classes if name not in set(unseen)]
        return classes, None if seen is None else tuple(seen)
