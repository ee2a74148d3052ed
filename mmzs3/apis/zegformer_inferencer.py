# Copyright (c) mmzs3 contributors. All rights reserved.
import copy
import os.path as osp
import warnings
from datetime import datetime
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config, ConfigDict
from mmengine.logging import print_log
from mmengine.runner.checkpoint import _load_checkpoint_to_model
from mmengine.structures import PixelData
from mmseg.apis import MMSegInferencer
from mmseg.apis.mmseg_inferencer import InputsType
from mmseg.structures import SegDataSample
from torch import nn

from mmzs3.datasets.splits import checkpoint_vocabulary
from mmzs3.registry import MODELS, VISUALIZERS
from mmzs3.utils import (check_class_names, read_class_names, renamed_argument,
                         safe_torch_load)
from mmzs3.utils.typing_utils import ConfigType
from mmzs3.visualization import OpenVocabSegVisualizer, generate_palette
from .model_index import get_model_entry, resolve_model

VocabularyType = Union[str, Sequence[str]]
#: The frozen CLIP towers; official training checkpoints lack them.
CLIP_TOWERS = ('text_encoder', 'clip_classifier')
#: Model config keys the inferencer's arguments override, with their
#: deprecated names (dropped from the config when overridden).
RENAMED_MODEL_KEYS = dict(fusion_mode='test_mode', calibration_gamma='gamma')
_DEFAULT_PIPELINE = [dict(type='InferencerLoader'), dict(type='PackSegInputs')]


class ZegFormerInferencer(MMSegInferencer):
    """Open-vocabulary inferencer: segment images with any class names.

    It follows ``MMSegInferencer`` (config + checkpoint or a model name,
    images as a path, a folder, an array or a list, ``out_dir``,
    ``return_datasamples``, ...) and adds the vocabulary. The vocabulary can
    change between calls without rebuilding the model; the text encoder
    memoises embeddings per name, so only new names are encoded.

    Example:
        >>> inferencer = ZegFormerInferencer('zegformer_r50_coco')
        >>> result = inferencer('demo.jpg', classes=['cat', 'grass'])
        >>> result['predictions']  # (H, W) label map
        >>> result['scores'], result['shares']  # (K,) per class

    Args:
        model (str | dict | Config): A config file or object, or a model
            name of the model index (``configs/*/metafile.yaml``).
        weights (str, optional): Checkpoint file. Defaults to None (the
            model index's local file for a model name).
        classes (str | Sequence[str], optional): The vocabulary: names
            (``', '`` separates synonyms) or a class-list file. Defaults to
            None (the classes the checkpoint's ``meta['dataset_meta']``
            names, if any: the full vocabulary of its zero-shot split).
        seen_classes (str | Sequence[str], optional): Names treated as seen
            (calibrated with γ, fused as seen). Defaults to None: the
            checkpoint's seen names that are in the vocabulary, else the
            config's; with none known every class is unseen, and the model
            warns once when that matters (γ > 0 or ``'fused'`` mode).
        templates (str | Sequence[str], optional): Prompt templates of the
            segment classifier (a set name or a list). Defaults to None
            (the config's).
        fusion_mode (str, optional): ``'seg'``, ``'img'``, ``'fused'`` or
            ``'fuse_all'``. Defaults to None (the config's).
        device (str, optional): Device. Defaults to None (auto).
        bf16 (bool): On the CPU, run the CLIP image tower under bf16
            autocast if the CPU computes bf16 natively (AVX512-BF16, AMX);
            elsewhere it stays float32 and this is logged once
            (``cpu_bf16='auto'`` of ``CLIPSegmentClassifier``). Defaults to
            False (float32).
        checkpoint_dir (str, optional): Folder of the model index's
            checkpoints. Defaults to None (``$MMZS3_CHECKPOINT_DIR`` or
            ``./checkpoints``).
        scope (str): Registry scope. Defaults to 'mmseg'.
        calibration_gamma (float, optional): The calibration γ subtracted
            from seen classes. Defaults to None: the checkpoint's
            ``meta['calibration_gamma']`` (or ``meta['gamma']`` of older
            conversions; the official evaluation's, written by the
            converter), else the config's.
        test_mode (str, optional): Deprecated name of ``fusion_mode``.
        gamma (float, optional): Deprecated name of ``calibration_gamma``.
    """

    def __init__(self,
                 model: Union[ConfigType, str],
                 weights: Optional[str] = None,
                 classes: Optional[VocabularyType] = None,
                 seen_classes: Optional[VocabularyType] = None,
                 templates: Optional[Union[str, Sequence[str]]] = None,
                 fusion_mode: Optional[str] = None,
                 device: Optional[str] = None,
                 checkpoint_dir: Optional[str] = None,
                 scope: str = 'mmseg',
                 calibration_gamma: Optional[float] = None,
                 bf16: bool = False,
                 test_mode: Optional[str] = None,
                 gamma: Optional[float] = None) -> None:
        self.checkpoint_dir = checkpoint_dir
        self._user_weights = weights
        self._overrides = dict(
            templates=templates,
            fusion_mode=renamed_argument('ZegFormerInferencer', 'test_mode',
                                         'fusion_mode', test_mode,
                                         fusion_mode),
            calibration_gamma=renamed_argument(
                'ZegFormerInferencer', 'gamma', 'calibration_gamma', gamma,
                calibration_gamma),
            cpu_bf16='auto' if bf16 else None)
        self._checkpoint_meta: dict = {}
        super().__init__(model=model, weights=weights, device=device,
                         scope=scope)
        classes = classes or self._checkpoint_meta.get('classes')
        if classes:
            self.set_vocabulary(classes, seen_classes)
        elif seen_classes is not None:
            raise ValueError('ZegFormerInferencer: seen_classes given '
                             'without classes')

    def set_vocabulary(self,
                       classes: VocabularyType,
                       seen_classes: Optional[VocabularyType] = None) -> None:
        """Set the class names (the model is not rebuilt).

        Args:
            classes (str | Sequence[str]): Names or a class-list file.
            seen_classes (str | Sequence[str], optional): Seen names, or a
                file. Defaults to None (keep the current seen classes).
        """
        names = parse_vocabulary(classes, 'classes')
        seen = None
        if seen_classes is not None:
            seen = parse_vocabulary(seen_classes, 'seen_classes',
                                    allow_empty=True)
        elif self._checkpoint_meta.get('seen_classes') is not None:
            seen = [n for n in self._checkpoint_meta['seen_classes']
                    if n in names]
        self.model.set_vocabulary(names, seen_classes=seen, mode='test')
        self.model.dataset_meta = dict(
            classes=list(names), palette=generate_palette(len(names)))

    @property
    def classes(self) -> Tuple[str, ...]:
        """tuple[str]: The current vocabulary."""
        return tuple(self.model.dataset_meta.get('classes') or ())

    def __call__(self,
                 inputs: InputsType,
                 classes: Optional[VocabularyType] = None,
                 seen_classes: Optional[VocabularyType] = None,
                 **kwargs) -> dict:
        """Segment images with the vocabulary.

        Args:
            inputs (str | np.ndarray | list): An image path, a folder, a
                BGR array (as ``mmcv.imread`` gives), or a list of these.
            classes (str | Sequence[str], optional): A new vocabulary for
                this and later calls. Defaults to None (keep the current).
            seen_classes (str | Sequence[str], optional): New seen names.
                Defaults to None.
            **kwargs: Arguments of ``MMSegInferencer.__call__``
                (``out_dir``, ``return_vis``, ``return_datasamples``,
                ``opacity``, ``with_labels``, ``batch_size``, ...).

        Returns:
            dict: ``predictions`` (label maps, (H, W) int arrays),
            ``scores`` (per class, the mean winning score over the pixels
            labelled with it, NaN if none, (K,); a class-map value
            ``sum_q P(q, c) * sigmoid(mask_q)``, not a probability: it can
            exceed 1 where masks overlap), ``shares`` (pixel share of
            each class, (K,)), ``classes`` and ``visualization``; a single
            image gives arrays, several give lists. With
            ``return_datasamples=True``, ``SegDataSample`` objects.
        """
        if classes is not None:
            self.set_vocabulary(classes, seen_classes)
        elif seen_classes is not None:
            self.set_vocabulary(self.classes, seen_classes)
        if not self.classes:
            raise ValueError('ZegFormerInferencer: no vocabulary; pass '
                             'classes=[...] or a class-list file')
        self.show_progress = not _is_single_image(inputs)
        return super().__call__(inputs, **kwargs)

    @torch.no_grad()
    def forward(self, inputs: dict, **kwargs) -> List[SegDataSample]:
        """Predict a batch; a one-name vocabulary labels every pixel with it.

        mmseg's ``postprocess_result`` reads one output channel as a binary
        sigmoid map (and needs a ``threshold`` our heads lack), so for
        K = 1 a constant channel below every score is appended before it and
        removed after. The proper place for this is the segmentor's
        ``postprocess_result``; tools/test.py has the same limitation.
        """
        if len(self.classes) != 1:
            return super().forward(inputs, **kwargs)
        data = self.model.data_preprocessor(inputs, False)
        samples = data['data_samples']
        logits = self.model.inference(data['inputs'],
                                      [s.metainfo for s in samples])
        floor = logits.new_full(logits.shape, float(logits.min()) - 1)
        samples = self.model.postprocess_result(
            torch.cat([logits, floor], dim=1), samples)
        for sample in samples:
            sample.seg_logits = PixelData(data=sample.seg_logits.data[:1])
        return samples

    def visualize(self, inputs: list, preds: List[SegDataSample],
                  **kwargs) -> Optional[List[np.ndarray]]:
        """Draw overlays with a legend of class names (see
        ``MMSegInferencer.visualize``); the names in the regions, which
        OpenCV draws in ASCII only, are off unless ``with_labels=True``.
        Array inputs are BGR, as for prediction: they are drawn in RGB, as
        files are (mmseg's ``visualize`` draws arrays unconverted)."""
        kwargs.setdefault('with_labels', False)
        inputs = [
            i[:, :, ::-1] if isinstance(i, np.ndarray) else i for i in inputs
        ]
        return super().visualize(inputs, preds, **kwargs)

    def postprocess(self,
                    preds: List[SegDataSample],
                    visualization: Optional[List[np.ndarray]],
                    return_datasample: bool = False,
                    pred_out_dir: str = '') -> dict:
        """``MMSegInferencer.postprocess`` plus per-class scores and pixel
        shares (see :meth:`__call__`)."""
        results = super().postprocess(preds, visualization,
                                      return_datasample, pred_out_dir)
        if return_datasample:
            return results
        stats = [class_statistics(p, len(self.classes)) for p in preds]
        scores, shares = [s for s, _ in stats], [s for _, s in stats]
        single = len(preds) == 1
        results['scores'] = scores[0] if single else scores
        results['shares'] = shares[0] if single else shares
        results['classes'] = self.classes
        return results

    def _load_model_from_metafile(self, model: str) -> Tuple[Config, str]:
        """Config and local checkpoint of a model-index name."""
        if self._user_weights is not None:
            entry = get_model_entry(model)
            return Config.fromfile(entry['Config']), self._user_weights
        config, weights = resolve_model(model, self.checkpoint_dir)
        return Config.fromfile(config), weights

    def _init_model(self, cfg: ConfigType, weights: Optional[str],
                    device: str = 'cpu') -> nn.Module:
        """Build the model with no ``init_cfg`` anywhere (mmseg's
        ``init_model`` clears it only for ``EncoderDecoder``), then load the
        checkpoint with :func:`mmzs3.utils.safe_torch_load` (mmengine's
        loader, which the base class uses, is left as it is). The CLIP
        towers keep ``pretrained``: it selects their activation (QuickGELU
        for OpenAI weights) and is the fallback source of their weights."""
        cfg = copy.deepcopy(cfg)
        cfg.model = clear_init_cfg(cfg.model)
        for key, value in self._overrides.items():
            if value is None:
                continue
            if key == 'templates':
                cfg.model.text_encoder.templates = value
            elif key == 'cpu_bf16':
                if cfg.model.get('clip_classifier'):
                    cfg.model.clip_classifier.cpu_bf16 = value
            else:
                cfg.model.pop(RENAMED_MODEL_KEYS[key], None)
                cfg.model[key] = value
        checkpoint = None
        if weights is not None:
            checkpoint = safe_torch_load(weights, map_location='cpu')
        model = MODELS.build(cfg.model)
        model.cfg = cfg
        self._load_weights_to_model(model, checkpoint, cfg)
        return model.to(device).eval()

    def _load_weights_to_model(self, model: nn.Module,
                               checkpoint: Optional[dict],
                               cfg: Optional[ConfigType]) -> None:
        """Load a checkpoint; CLIP towers it lacks load their
        ``pretrained`` weights; any other missing weight is an error."""
        model.dataset_meta = {}
        if checkpoint is None:
            warnings.warn('ZegFormerInferencer: no checkpoint, the model '
                          'has random weights')
            return
        state = checkpoint.get('state_dict', checkpoint)
        wrong = mismatched_shapes(model.state_dict(), state)
        if wrong:
            raise ValueError(
                f'ZegFormerInferencer: {len(wrong)} weights of the checkpoint '
                "have other shapes than the config's model (a checkpoint of "
                f'another config?): {wrong[:5]}')
        _load_checkpoint_to_model(model, checkpoint)
        missing = [k for k in model.state_dict() if k not in state]
        for tower in CLIP_TOWERS:
            lacking = [k for k in missing if k.startswith(tower + '.')]
            if lacking:
                _load_tower(model, tower)
        others = [
            k for k in missing if not k.startswith(CLIP_TOWERS)
            and not k.endswith('num_batches_tracked')
        ]
        if others:
            raise KeyError(f'ZegFormerInferencer: the checkpoint lacks '
                           f'{len(others)} weights of the model: {others}')
        self._checkpoint_meta = checkpoint_meta(checkpoint)
        self._apply_checkpoint_gamma(model)

    def _apply_checkpoint_gamma(self, model: nn.Module) -> None:
        """Use the checkpoint's γ unless the caller gave one."""
        gamma = self._checkpoint_meta['calibration_gamma']
        if (gamma is None or self._overrides['calibration_gamma'] is not None
                or not hasattr(model, 'calibration_gamma')):
            return
        if gamma != model.calibration_gamma:
            print_log(
                f'ZegFormerInferencer: calibration_gamma {gamma} from the '
                f'checkpoint (the config has {model.calibration_gamma}; pass '
                'calibration_gamma=... to choose)',
                logger='current')
        model.calibration_gamma = gamma

    def _init_pipeline(self, cfg: ConfigType) -> Compose:
        """The config's test pipeline (also inside dataset wrappers) without
        annotation loading; a load-and-pack pipeline if it has none."""
        return Compose(inference_pipeline(cfg))

    def _init_visualizer(self, cfg: ConfigType) -> OpenVocabSegVisualizer:
        """An ``OpenVocabSegVisualizer`` (generated palette, legend)."""
        name = f'zegformer_inferencer_{datetime.now().timestamp()}_{id(self)}'
        return VISUALIZERS.build(dict(type='OpenVocabSegVisualizer',
                                      name=name))



def checkpoint_meta(checkpoint: dict) -> dict:
    """The vocabulary, seen names and γ a checkpoint's ``meta`` records.

    Args:
        checkpoint (dict): A loaded checkpoint.

    Returns:
        dict: ``classes`` and ``seen_classes`` (tuples of names, or None;
        see :func:`mmzs3.datasets.splits.checkpoint_vocabulary`) and
        ``calibration_gamma`` (float, or None), read from
        ``meta['calibration_gamma']`` or, in older conversions,
        ``meta['gamma']``.
    """
    meta = checkpoint.get('meta') or {}
    classes, seen = checkpoint_vocabulary(meta.get('dataset_meta'))
    gamma = meta.get('calibration_gamma', meta.get('gamma'))
    return dict(
        classes=classes,
        seen_classes=seen,
        calibration_gamma=None if gamma is None else float(gamma))


def parse_vocabulary(names: VocabularyType,
                     what: str = 'classes',
                     allow_empty: bool = False) -> List[str]:
    """Class names from a list or a class-list file, checked.

    A file is read with :func:`mmzs3.utils.read_class_names`; a list is
    checked with :func:`mmzs3.utils.check_class_names` (the naming rule of
    docs/reliability.md: names are used as given, never stripped).

    Args:
        names (str | Sequence[str]): Names, or the path of a file.
        what (str): What the names are, for messages. Defaults to
            'classes'.
        allow_empty (bool): Accept an empty list. Defaults to False.

    Returns:
        list[str]: The names.

    Raises:
        ValueError: For a string that is not a file, or names that break
            the naming rule.
    """
    if isinstance(names, str):
        if not osp.isfile(names):
            raise ValueError(
                f'{what}: {names!r} is not a file; pass a list of names or '
                'the path of a class-list file (one name per line)')
        return read_class_names(names)
    return list(check_class_names(names, what, allow_empty=allow_empty))


def clear_init_cfg(cfg: ConfigType) -> ConfigDict:
    """A copy of a model config with every ``init_cfg`` set to None and the
    segmentor's and backbone's ``pretrained`` removed."""

    def clear(node):
        if isinstance(node, dict):
            return ConfigDict({
                k: None if k == 'init_cfg' else clear(v)
                for k, v in node.items()
            })
        if isinstance(node, (list, tuple)):
            return type(node)(clear(v) for v in node)
        return node

    cfg = clear(cfg)
    cfg.pop('pretrained', None)
    if isinstance(cfg.get('backbone'), dict):
        cfg.backbone.pop('pretrained', None)
    return cfg


def inference_pipeline(cfg: ConfigType) -> List[dict]:
    """The test pipeline for in-memory or file inputs.

    Args:
        cfg (Config): A full config.

    Returns:
        list[dict]: Transforms: ``InferencerLoader`` first, no annotation
        loading.
    """
    dataset = (cfg.get('test_dataloader') or {}).get('dataset')
    while isinstance(dataset, dict) and 'pipeline' not in dataset:
        dataset = dataset.get('dataset')
    if not isinstance(dataset, dict):
        return copy.deepcopy(_DEFAULT_PIPELINE)
    pipeline = []
    for transform in copy.deepcopy(dataset['pipeline']):
        if transform['type'] == 'SkipBadSamples':
            pipeline.extend(transform['transforms'])
        else:
            pipeline.append(transform)
    pipeline = [t for t in pipeline if 'Annotation' not in t['type']]
    if pipeline[0]['type'] != 'LoadImageFromFile':
        raise ValueError('the test pipeline must start with '
                         f"LoadImageFromFile, got {pipeline[0]['type']}")
    pipeline[0] = dict(type='InferencerLoader')
    return pipeline


def class_statistics(pred: SegDataSample,
                     num_classes: int) -> Tuple[np.ndarray, np.ndarray]:
    """Mean winning score and pixel share of each class in a prediction.

    Args:
        pred (SegDataSample): With ``pred_sem_seg`` (1, H, W) and
            ``seg_logits`` (K, H, W).
        num_classes (int): K.

    Returns:
        tuple[np.ndarray, np.ndarray]: Scores (NaN for absent classes) and
        shares, each shape (K,).
    """
    labels = pred.pred_sem_seg.data[0].flatten().cpu()
    best = pred.seg_logits.data.max(dim=0).values.flatten().float().cpu()
    counts = np.bincount(labels.numpy(), minlength=num_classes)
    sums = np.bincount(labels.numpy(), weights=best.numpy(),
                       minlength=num_classes)
    with np.errstate(invalid='ignore', divide='ignore'):
        scores = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return scores, counts / max(labels.numel(), 1)


def mismatched_shapes(expected: dict, state: dict) -> List[str]:
    """Weights present in both state dicts with different shapes.

    Args:
        expected (dict): The model's state dict.
        state (dict): A checkpoint's state dict.

    Returns:
        list[str]: ``'key: checkpoint shape vs model shape'`` for each.
    """
    return [
        f'{key}: {tuple(state[key].shape)} vs {tuple(value.shape)}'
        for key, value in expected.items()
        if key in state and hasattr(state[key], 'shape')
        and tuple(state[key].shape) != tuple(value.shape)
    ]


def _load_tower(model: nn.Module, tower: str) -> None:
    """Load a CLIP tower's ``pretrained`` weights, or explain what to do."""
    module = getattr(model, tower, None)
    if module is None:
        return
    if not getattr(module, 'pretrained', None):
        raise KeyError(
            f'ZegFormerInferencer: the checkpoint has no {tower} weights and '
            f'model.{tower}.pretrained is not set; convert official '
            'checkpoints with tools/model_converters/zegformer2mmzs3.py '
            '--clip ViT-B-16.pt, or set pretrained to the CLIP weights file')
    module.init_weights()


def _is_single_image(inputs: InputsType) -> bool:
    """True for one image (a file path or an array)."""
    if isinstance(inputs, np.ndarray):
        return True
    return isinstance(inputs, str) and not osp.isdir(inputs)

