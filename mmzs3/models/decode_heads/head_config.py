# Copyright (c) mmzs3 contributors. All rights reserved.
"""Build-time config handling shared by the ZegFormer heads.

A head merges partial sub-configs into its defaults
(:mod:`~mmzs3.models.decode_heads.head_defaults`), sets aside the
class-count arguments of mmseg's MaskFormer/Mask2Former head configs (the
vocabulary decides them), and tells the ``ZegFormer`` segmentor where its
text dimension lives so that the segmentor fills it in from the text encoder.
"""
import copy
import warnings
from typing import Optional, Tuple, Union

from mmengine.config import Config, ConfigDict
from torch import nn

from mmzs3.registry import MODELS
from mmzs3.utils.typing_utils import ConfigType, OptConfigType
from .head_defaults import LOSS_CLS, MASK_HEAD_DEFAULTS, TEXT_CLASSIFIER

#: Arguments of mmseg's/mmdet's mask heads that the vocabulary decides.
VOCABULARY_KWARGS = ('num_classes', 'num_things_classes', 'num_stuff_classes')
#: Arguments of mmseg's per-pixel heads (``BaseDecodeHead``) that a mask
#: head would silently swallow; a config inherited from such a head must
#: replace it.
PIXEL_HEAD_KWARGS = ('channels', 'dropout_ratio', 'conv_cfg', 'norm_cfg',
                     'act_cfg', 'input_transform', 'loss_decode', 'sampler',
                     'threshold')


def merged_config(cfg: Union[OptConfigType, list],
                  default: dict) -> Union[ConfigDict, list]:
    """A sub-config merged into its default, as a new ``ConfigDict``.

    ``cfg`` is merged key by key into ``default`` (mmengine's config merge:
    nested dicts merge, lists and other values replace, ``_delete_=True``
    replaces the whole dict) unless it names a different ``type``, in which
    case it is a different module and is taken as it is. A list of configs
    (mmseg's several decode losses) is also taken as it is.

    Args:
        cfg (dict | list[dict], optional): The user's sub-config, possibly
            partial.
        default (dict): The head's default for it.

    Returns:
        ConfigDict | list: A deep copy; neither argument is changed.
    """
    if cfg is None:
        return ConfigDict(copy.deepcopy(default))
    if isinstance(cfg, (list, tuple)):
        return copy.deepcopy(cfg)
    cfg = copy.deepcopy(dict(cfg))
    if cfg.get('type', default.get('type')) != default.get('type'):
        cfg.pop('_delete_', None)
        return ConfigDict(cfg)
    # nested under one key, so that mmengine honours a top-level _delete_
    merged = Config._merge_a_into_b(
        dict(cfg=cfg), dict(cfg=copy.deepcopy(default)))
    return ConfigDict(merged['cfg'])


def with_head_defaults(sub_configs: dict) -> dict:
    """Sub-configs of a mask head merged into ``ZegFormerHead``'s defaults.

    Args:
        sub_configs (dict): Keys of ``MASK_HEAD_DEFAULTS``
            (``pixel_decoder``, ``loss_mask``, ...), each a partial config
            or None.

    Returns:
        dict: The same keys, each merged into its default
        (:func:`merged_config`).
    """
    return {
        key: merged_config(cfg, MASK_HEAD_DEFAULTS[key])
        for key, cfg in sub_configs.items()
    }


def build_text_classifier(cfg: OptConfigType, in_channels: int) -> nn.Module:
    """Build the segment classifier of a head.

    Args:
        cfg (dict, optional): Classifier config, merged into
            ``TEXT_CLASSIFIER``. Defaults to it when None.
        in_channels (int): Default for the classifier's ``in_channels``.

    Returns:
        nn.Module: The classifier.
    """
    cfg = merged_config(cfg, TEXT_CLASSIFIER)
    cfg.setdefault('in_channels', in_channels)
    return MODELS.build(cfg)


def drop_vocabulary_kwargs(owner: str, loss_cls: ConfigType,
                           kwargs: dict) -> ConfigDict:
    """Set aside what mmseg's mask-head configs size by a class count.

    mmseg's MaskFormer and Mask2Former configs give ``num_classes`` and
    ``loss_cls.class_weight`` (``[1.0] * num_classes + [0.1]``); in a
    ZegFormer head the active vocabulary decides both. They are removed,
    with one warning naming every removed key.

    Args:
        owner (str): Class name used in the warning.
        loss_cls (dict): The classification loss config.
        kwargs (dict): The head's other keyword arguments; the keys of
            ``VOCABULARY_KWARGS`` are popped from it in place.

    Returns:
        ConfigDict: A copy of ``loss_cls`` without ``class_weight``.
    """
    loss_cls = ConfigDict(copy.deepcopy(dict(loss_cls)))
    dropped = [key for key in VOCABULARY_KWARGS if key in kwargs]
    for key in dropped:
        kwargs.pop(key)
    if loss_cls.pop('class_weight', None) is not None:
        dropped.append('loss_cls.class_weight')
    if dropped:
        warnings.warn(
            f'{owner}: ignoring {", ".join(dropped)}; the vocabulary decides '
            'the number of classes and their loss weights (set '
            'no_object_weight for the no-object class). Remove these keys '
            'to silence this warning.', UserWarning, stacklevel=4)
    return loss_cls


def mask_head_kwargs(owner: str, loss_cls: OptConfigType,
                     no_object_weight: float, kwargs: dict) -> dict:
    """The keyword arguments of the mmdet mask head under a ZegFormer head.

    Arguments of mmseg's per-pixel heads are an error
    (:func:`reject_pixel_head_kwargs`); the class-count arguments of its
    mask heads are dropped with one warning (:func:`drop_vocabulary_kwargs`)
    and replaced by zero, since each call's vocabulary sets the count.

    Args:
        owner (str): Class name used in messages.
        loss_cls (dict, optional): The classification loss config, merged
            into ``LOSS_CLS``.
        no_object_weight (float): Loss weight of the no-object class.
        kwargs (dict): The head's other keyword arguments (edited in
            place).

    Returns:
        dict: ``kwargs`` with zero class counts and ``loss_cls``, whose
        placeholder class weight is the no-object weight (a call's
        vocabulary extends it).
    """
    reject_pixel_head_kwargs(owner, kwargs)
    loss_cls = drop_vocabulary_kwargs(owner, merged_config(loss_cls, LOSS_CLS),
                                      kwargs)
    loss_cls.class_weight = [no_object_weight]
    return dict(
        kwargs, **{key: 0
                   for key in VOCABULARY_KWARGS}, loss_cls=loss_cls)


def reject_pixel_head_kwargs(owner: str, kwargs: dict) -> None:
    """Fail on arguments that belong to mmseg's per-pixel heads.

    mmdet's mask heads accept and ignore unknown keyword arguments, so a
    ``decode_head`` that only changed ``type`` over, say, SegFormer's or
    UPerNet's head would drop its settings without a word.

    Args:
        owner (str): Class name used in the error.
        kwargs (dict): The head's other keyword arguments.

    Raises:
        ValueError: Naming the keys and the fix (``_delete_=True``).
    """
    foreign = [key for key in PIXEL_HEAD_KWARGS if key in kwargs]
    if foreign:
        raise ValueError(
            f'{owner}: {", ".join(foreign)} belong to mmseg\'s per-pixel '
            f'decode heads, not to {owner}; replace the inherited head with '
            f"decode_head=dict(_delete_=True, type='{owner}', ...)")


def fill_text_dim(head_cfg: ConfigType, text_dim: int) -> ConfigDict:
    """A head config whose text dimension is the text encoder's width.

    The head class names where its text dimension lives with the class
    attribute ``text_dim_path`` (e.g. ``('text_classifier', 'text_dim')``);
    a head without it is returned unchanged.

    Args:
        head_cfg (dict): The ``decode_head`` config.
        text_dim (int): The text encoder's embedding width.

    Returns:
        ConfigDict: A copy with the text dimension set.

    Raises:
        ValueError: If the config sets a different text dimension.
    """
    head_cfg = ConfigDict(copy.deepcopy(dict(head_cfg)))
    head_type = head_cfg.get('type')
    head_cls = MODELS.get(head_type) if isinstance(head_type,
                                                   str) else head_type
    path: Optional[Tuple[str, ...]] = getattr(head_cls, 'text_dim_path', None)
    if path is None:
        return head_cfg
    parent = head_cfg
    for key in path[:-1]:
        if parent.get(key) is None:
            parent[key] = ConfigDict()
        parent = parent[key]
    given = parent.get(path[-1])
    if given is not None and given != text_dim:
        raise ValueError(
            f'{head_cls.__name__}: decode_head.{".".join(path)}={given} '
            f"differs from the text encoder's embedding width {text_dim}; "
            f'remove decode_head.{".".join(path)}, the ZegFormer segmentor '
            'sets it from text_encoder')
    parent[path[-1]] = text_dim
    return head_cfg
