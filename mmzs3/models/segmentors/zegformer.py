# Copyright (c) mmzs3 contributors. All rights reserved.
import warnings
from functools import partial
from typing import List, Optional, Sequence, Tuple

import torch
from mmengine.config import ConfigDict
from mmseg.models.segmentors import EncoderDecoder
from mmseg.utils import add_prefix
from torch import Tensor

from mmzs3.registry import MODELS
from mmzs3.utils import check_class_names, renamed_argument
from mmzs3.utils.typing_utils import (ConfigType, OptConfigType,
                                      OptMultiConfig, OptSampleList,
                                      SampleList)
from ..decode_heads.head_config import fill_text_dim
from ..text_encoders.vocabulary_encoder import TemplatesType, VocabularyEncoder
from ..utils import (CLIP_MEAN, CLIP_STD, FUSION_MODES, binary_mask_iou,
                     calibrate_seen, clip_query_ranks, fuse_class_probs,
                     renormalize, select_diverse_queries, share_clip_sources)

VOCABULARY_MODES = ('train', 'test')


@MODELS.register_module()
class ZegFormer(EncoderDecoder):
    """`Decoupling Zero-Shot Semantic Segmentation
    <https://arxiv.org/abs/2112.07910>`_ (ZegFormer) as an mmseg segmentor.

    A class-agnostic mask head proposes segments and classifies them against
    CLIP text embeddings of the active vocabulary; at test time an optional
    CLIP image branch re-classifies every segment and the two are fused.
    Training uses the train (seen) vocabulary and testing the test
    vocabulary; which one is active follows ``self.training``. Seen/unseen
    membership is decided by class name. The text embeddings of each branch
    come from one :class:`VocabularyEncoder` and are passed to the decode
    head and the CLIP branch as arguments.

    .. code:: text

     loss(): class_embeddings() (train vocabulary) -> extract_feat()
       -> decode_head.loss()
     predict(): inference() -> whole_inference() / slide_inference()
       -> encode_decode() -> postprocess_result()
     encode_decode(): class_embeddings() (test vocabulary) -> extract_feat()
       -> decode_head.predict(query_probs=...) -> calibrate_seen()
     query_probs(): [clip_logits()] -> fuse_class_probs()
     _forward(): encode_decode() (the maps before post-processing)

    The decode head's ``predict`` returns per-class probability maps; a
    mask head first maps its per-query outputs through :meth:`query_probs`
    (the fusion with the CLIP branch) unless ``fusion_mode`` is ``'seg'``.
    A per-pixel head (``PixelZeroShotHead``) has no segments and needs
    ``fusion_mode='seg'``.

    Args:
        backbone (dict): Backbone config.
        decode_head (dict): Head config; its ``loss``/``predict`` take the
            class embeddings after the features. Its text dimension (where
            the head class's ``text_dim_path`` says) is set to the text
            encoder's embedding width.
        text_encoder (dict): Text encoder config (``OpenCLIPTextEncoder``);
            its ``templates`` are the segment branch's.
        clip_classifier (dict, optional): CLIP image branch config
            (``CLIPSegmentClassifier``). Defaults to None (no image branch).
        fusion_mode (str, optional): How the branches are combined at test
            time, one of ``'fused'``, ``'seg'``, ``'img'``, ``'fuse_all'``.
            Defaults to None: ``'fused'`` with a CLIP classifier, else
            ``'seg'``.
        lam (float): The fusion balance λ. Defaults to 2/3.
        calibration_gamma (float, optional): Calibration γ subtracted from
            seen-class maps. Defaults to None (0.0).
        clip_templates (str | Sequence[str]): Templates of the CLIP image
            branch's text embeddings. Defaults to 'clip_select'.
        train_vocabulary (Sequence[str], optional): Class names used in
            training (label ``i`` is name ``i``). Defaults to None (set by
            :meth:`set_vocabulary`, e.g. by ``VocabularyHook``).
        test_vocabulary (Sequence[str], optional): Class names used at test
            time. Defaults to None (the train vocabulary).
        seen_classes (Sequence[str], optional): Names treated as seen at test
            time. Defaults to None (the train vocabulary).
        clip_topk (int, optional): Fast mode: only ``k``
            queries go through the CLIP branch, chosen by segment score x
            mask area with mask NMS at ``clip_share_iou``; every other
            query borrows the CLIP logits of the chosen query it overlaps
            most if that IoU reaches ``clip_share_iou``, else keeps its
            segment-branch (``'seg'``) probabilities
            (:mod:`mmzs3.models.utils.query_selection`). Defaults to None
            (exact: every query).
        clip_share_iou (float): The mask IoU at which fast mode treats two
            queries as one segment. Defaults to 0.5.
        neck, auxiliary_head, train_cfg, data_preprocessor, pretrained,
            init_cfg: As in mmseg's ``EncoderDecoder``.
        test_cfg (dict, optional): As in ``EncoderDecoder``. Defaults to
            None (``dict(mode='whole')``).
        test_mode (str, optional): Deprecated name of ``fusion_mode``.
        gamma (float, optional): Deprecated name of ``calibration_gamma``.
    """

    def __init__(self,
                 backbone: ConfigType,
                 decode_head: ConfigType,
                 text_encoder: ConfigType,
                 clip_classifier: OptConfigType = None,
                 fusion_mode: Optional[str] = None,
                 lam: float = 2 / 3,
                 calibration_gamma: Optional[float] = None,
                 clip_templates: TemplatesType = 'clip_select',
                 train_vocabulary: Optional[Sequence[str]] = None,
                 test_vocabulary: Optional[Sequence[str]] = None,
                 seen_classes: Optional[Sequence[str]] = None,
                 clip_topk: Optional[int] = None,
                 clip_share_iou: float = 0.5,
                 neck: OptConfigType = None,
                 auxiliary_head: OptConfigType = None,
                 train_cfg: OptConfigType = None,
                 test_cfg: OptConfigType = None,
                 data_preprocessor: OptConfigType = None,
                 pretrained: Optional[str] = None,
                 init_cfg: OptMultiConfig = None,
                 test_mode: Optional[str] = None,
                 gamma: Optional[float] = None) -> None:
        encoder_cls = MODELS.get(text_encoder['type'])
        if encoder_cls is None:
            raise KeyError(f"ZegFormer: text_encoder type "
                           f"{text_encoder['type']!r} is not registered")
        text_dim = encoder_cls.embed_dim_of(text_encoder)
        super().__init__(
            backbone=backbone,
            decode_head=fill_text_dim(decode_head, text_dim),
            neck=neck,
            auxiliary_head=auxiliary_head,
            train_cfg=train_cfg,
            test_cfg=ConfigDict(test_cfg or dict(mode='whole')),
            data_preprocessor=data_preprocessor,
            pretrained=pretrained,
            init_cfg=init_cfg)
        self.text_encoder = MODELS.build(text_encoder)
        clip_classifier, clip_templates = _clip_branch_templates(
            clip_classifier, clip_templates)
        self.clip_classifier = (
            MODELS.build(clip_classifier) if clip_classifier else None)
        self.vocabulary_encoder = VocabularyEncoder(
            self.text_encoder, dict(clip=clip_templates))
        self.fusion_mode = self._check_fusion_mode(
            renamed_argument('ZegFormer', 'test_mode', 'fusion_mode',
                             test_mode, fusion_mode))
        self.lam = lam
        self.calibration_gamma = renamed_argument(
            'ZegFormer', 'gamma', 'calibration_gamma', gamma,
            calibration_gamma, 0.0)
        self.train_vocabulary = _names(train_vocabulary, 'train_vocabulary')
        self.test_vocabulary = _names(test_vocabulary, 'test_vocabulary')
        self.seen_classes = _names(seen_classes, 'seen_classes', True)
        self._warned_no_seen = False
        if clip_topk is not None and clip_topk < 1:
            raise ValueError(
                f'ZegFormer: clip_topk must be >= 1 or None, got {clip_topk}')
        if not 0.0 < clip_share_iou <= 1.0:
            raise ValueError(f'ZegFormer: clip_share_iou must be in (0, 1], '
                             f'got {clip_share_iou}')
        self.clip_topk = clip_topk
        self.clip_share_iou = clip_share_iou

    def _init_decode_head(self, decode_head: ConfigType) -> None:
        """Build the head; the class count is the vocabulary's
        (:attr:`num_classes`), not the head's."""
        self.decode_head = MODELS.build(decode_head)
        self.align_corners = self.decode_head.align_corners

    @property
    def num_classes(self) -> int:
        """int: Number of classes of the active vocabulary."""
        return len(self.vocabulary)

    @property
    def out_channels(self) -> int:
        """int: Channels of the class maps (mmseg's slide inference sizes
        its output by them): the active vocabulary's size."""
        return self.num_classes

    def _check_fusion_mode(self, fusion_mode: Optional[str]) -> str:
        """Resolve the default fusion mode and reject impossible ones."""
        if fusion_mode is None:
            return 'fused' if self.clip_classifier is not None else 'seg'
        if fusion_mode not in FUSION_MODES:
            raise ValueError(f'ZegFormer: fusion_mode must be one of '
                             f'{FUSION_MODES}, got {fusion_mode!r}')
        if fusion_mode != 'seg' and self.clip_classifier is None:
            raise ValueError(f'ZegFormer: fusion_mode {fusion_mode!r} needs '
                             'a clip_classifier config')
        return fusion_mode

    def set_vocabulary(self,
                       classes: Sequence[str],
                       seen_classes: Optional[Sequence[str]] = None,
                       mode: str = 'test') -> None:
        """Set the class names of training or of testing.

        Args:
            classes (Sequence[str]): Class names; index ``i`` is label ``i``.
            seen_classes (Sequence[str], optional): For ``mode='test'``, the
                names treated as seen. Defaults to None (keep the configured
                ones; without any, the train vocabulary is seen).
            mode (str): ``'train'`` or ``'test'``. Defaults to 'test'.
        """
        if mode not in VOCABULARY_MODES:
            raise ValueError(f'ZegFormer.set_vocabulary: mode must be one of '
                             f'{VOCABULARY_MODES}, got {mode!r}')
        if mode == 'train':
            self.train_vocabulary = _names(classes, 'classes')
            return
        self.test_vocabulary = _names(classes, 'classes')
        if seen_classes is not None:
            seen = _names(seen_classes, 'seen_classes', True)
            stray = sorted(set(seen) - set(self.test_vocabulary))
            if stray:
                raise ValueError(
                    f'ZegFormer.set_vocabulary: seen classes {stray} are '
                    'not in the test vocabulary; check the names')
            self.seen_classes = seen

    @property
    def vocabulary(self) -> Tuple[str, ...]:
        """tuple[str]: The active class names (by ``self.training``)."""
        names = self.train_vocabulary
        if not self.training and self.test_vocabulary is not None:
            names = self.test_vocabulary
        if names is None:
            raise RuntimeError(
                'ZegFormer has no vocabulary: set train_vocabulary / '
                'test_vocabulary in the model config, call set_vocabulary(), '
                'or add VocabularyHook to the runner')
        return names

    def seen_mask(self) -> Tensor:
        """Boolean mask of the active vocabulary's seen classes, shape (K,).

        With neither ``seen_classes`` nor a train vocabulary, no class is
        seen; if that changes the result (``calibration_gamma > 0`` or
        ``'fused'`` mode) a warning says so, once per model.
        """
        seen = self.seen_classes
        if seen is None:
            seen = self.train_vocabulary
        if seen is None:
            self._warn_no_seen_classes()
            seen = ()
        seen = set(seen)
        return torch.tensor([name in seen for name in self.vocabulary],
                            dtype=torch.bool)

    def _warn_no_seen_classes(self) -> None:
        """Warn once that every class is treated as unseen, if it matters.
        """
        if self._warned_no_seen or not (self.calibration_gamma > 0
                                        or self.fusion_mode == 'fused'):
            return
        self._warned_no_seen = True
        warnings.warn(
            'ZegFormer: no seen classes are known, so every class is '
            'treated as unseen (no gamma calibration; fused mode uses the '
            'unseen formula for every class). Pass the names the model was '
            'trained on: ZegFormerInferencer(..., seen_classes=[...]), '
            '--seen-classes in tools/demo/image_demo.py, model.seen_classes '
            'in a config, or convert official checkpoints with '
            'tools/model_converters/zegformer2mmzs3.py --dataset.')

    def class_embeddings(self, branch: str = 'segment') -> Tensor:
        """Text embeddings of the active vocabulary for one branch.

        Args:
            branch (str): ``'segment'`` (the decode head) or ``'clip'`` (the
                CLIP image branch). Defaults to 'segment'.

        Returns:
            Tensor: L2-normalised class embeddings, shape (K, D).
        """
        return self.vocabulary_encoder(self.vocabulary, branch)

    def loss(self, inputs: Tensor, data_samples: SampleList) -> dict:
        """Losses of a batch, with the active (train) vocabulary.

        Args:
            inputs (Tensor): Images, shape (B, 3, H, W).
            data_samples (list[SegDataSample]): Samples with ``gt_sem_seg``.

        Returns:
            dict[str, Tensor]: The loss components.
        """
        class_embeddings = self.class_embeddings()
        x = self.extract_feat(inputs)
        losses = add_prefix(
            self.decode_head.loss(x, class_embeddings, data_samples,
                                  self.train_cfg), 'decode')
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        return losses

    def encode_decode(self, inputs: Tensor,
                      batch_img_metas: List[dict]) -> Tensor:
        """Class maps of a batch at the input size, with the active
        vocabulary.

        Args:
            inputs (Tensor): Images (or crops), shape (B, 3, H, W).
            batch_img_metas (list[dict]): Meta information of each image.

        Returns:
            Tensor: Calibrated class scores, shape (B, K, H, W).
        """
        class_embeddings = self.class_embeddings()
        x = self.extract_feat(inputs)
        seen = self.seen_mask().to(inputs.device)
        query_probs = None
        if self.fusion_mode != 'seg':
            query_probs = partial(self.query_probs, inputs,
                                  batch_img_metas=batch_img_metas, seen=seen)
        probs = self.decode_head.predict(x, class_embeddings, batch_img_metas,
                                         self.test_cfg, query_probs)
        return calibrate_seen(probs, seen, self.calibration_gamma)

    def query_probs(self, inputs: Tensor, cls_logits: Tensor,
                    mask_logits: Tensor, batch_img_metas: List[dict],
                    seen: Tensor) -> Tensor:
        """Class probabilities of the queries in ``fusion_mode``.

        With ``clip_topk`` only the queries fast mode chooses go through
        CLIP (see ``clip_topk`` in the class docstring).

        Args:
            inputs (Tensor): Preprocessed images, shape (B, 3, H, W).
            cls_logits (Tensor): Segment-classifier logits, shape
                (B, Q, K + 1).
            mask_logits (Tensor): Mask logits, shape (B, Q, H, W).
            batch_img_metas (list[dict]): Meta information of each image.
            seen (Tensor): Boolean seen-class mask, shape (K,).

        Returns:
            Tensor: Class probabilities, shape (B, Q, K).
        """
        if self.fusion_mode == 'seg':
            return fuse_class_probs(cls_logits, None, seen, 'seg')
        num_queries = cls_logits.shape[1]
        if self.clip_topk is None or self.clip_topk >= num_queries:
            clip_logits = self.clip_logits(inputs, mask_logits,
                                           batch_img_metas)
            return fuse_class_probs(cls_logits, clip_logits, seen,
                                    self.fusion_mode, self.lam)
        iou = binary_mask_iou(mask_logits)
        chosen = select_diverse_queries(
            clip_query_ranks(cls_logits, mask_logits), iou, self.clip_topk,
            self.clip_share_iou)
        batch = torch.arange(len(chosen), device=chosen.device)[:, None]
        clip_logits = self.clip_logits(inputs, mask_logits[batch, chosen],
                                       batch_img_metas)
        source, covered = share_clip_sources(chosen, iou,
                                             self.clip_share_iou)
        shared = clip_logits[batch, source]
        fused = fuse_class_probs(cls_logits, shared, seen, self.fusion_mode,
                                 self.lam)
        seg = fuse_class_probs(cls_logits, None, seen, 'seg')
        return torch.where(covered[..., None], fused, seg)

    def clip_logits(self, inputs: Tensor, mask_logits: Tensor,
                    batch_img_metas: List[dict]) -> Tensor:
        """CLIP image-branch logits of every query.

        Args:
            inputs (Tensor): Preprocessed images, shape (B, 3, H, W).
            mask_logits (Tensor): Mask logits, shape (B, Q, h, w).
            batch_img_metas (list[dict]): Meta information of each image.

        Returns:
            Tensor: Logits against the active vocabulary, shape (B, Q, K).
        """
        clip_images = self.clip_inputs(inputs, batch_img_metas)
        return self.clip_classifier(clip_images, mask_logits,
                                    self.class_embeddings('clip'))

    def clip_inputs(self, inputs: Tensor,
                    batch_img_metas: List[dict]) -> Tensor:
        """Renormalise preprocessed inputs to CLIP's normalisation.

        Padding (outside each meta's ``img_shape``) is set to 0, i.e. CLIP's
        mean colour, as the official model pads after normalising.

        Args:
            inputs (Tensor): Images normalised by the data preprocessor,
                shape (B, 3, H, W).
            batch_img_metas (list[dict]): Meta information of each image.

        Returns:
            Tensor: CLIP-normalised images, shape (B, 3, H, W).
        """
        mean, std = (0.0, ) * 3, (1.0, ) * 3
        if getattr(self.data_preprocessor, '_enable_normalize', False):
            mean = self.data_preprocessor.mean.flatten().tolist()
            std = self.data_preprocessor.std.flatten().tolist()
        clip_images = renormalize(inputs, mean, std, CLIP_MEAN, CLIP_STD)
        for image, meta in zip(clip_images, batch_img_metas):
            height, width = meta['img_shape'][:2]
            image[:, height:] = 0
            image[:, :, width:] = 0
        return clip_images

    def _forward(self,
                 inputs: Tensor,
                 data_samples: OptSampleList = None) -> Tensor:
        """Class scores before post-processing (the ``'tensor'`` mode).

        Args:
            inputs (Tensor): Images, shape (B, 3, H, W).
            data_samples (list[SegDataSample], optional): Samples with
                metainfo. Defaults to None.

        Returns:
            Tensor: Class scores, shape (B, K, H, W).
        """
        if data_samples is None:
            shape = inputs.shape[2:]
            batch_img_metas = [
                dict(img_shape=shape, pad_shape=shape, ori_shape=shape)
            ] * inputs.shape[0]
        else:
            batch_img_metas = [s.metainfo for s in data_samples]
        return self.encode_decode(inputs, batch_img_metas)


def _names(names: Optional[Sequence[str]],
           what: str,
           allow_empty: bool = False) -> Optional[Tuple[str, ...]]:
    """Class names checked by :func:`mmzs3.utils.check_class_names` (None
    stays None)."""
    if names is None:
        return None
    return check_class_names(names, f'ZegFormer {what}', allow_empty)


def _clip_branch_templates(
        clip_classifier: OptConfigType,
        clip_templates: TemplatesType) -> Tuple[OptConfigType, TemplatesType]:
    """Take the CLIP branch's templates out of an old-style classifier
    config (``clip_classifier.templates``, deprecated), which wins over
    ``clip_templates``."""
    if not clip_classifier or 'templates' not in clip_classifier:
        return clip_classifier, clip_templates
    clip_classifier = ConfigDict(clip_classifier)
    old = clip_classifier.pop('templates')
    return clip_classifier, renamed_argument(
        'ZegFormer', 'clip_classifier.templates', 'clip_templates', old,
        clip_templates)
