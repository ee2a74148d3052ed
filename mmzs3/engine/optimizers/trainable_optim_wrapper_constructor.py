# Copyright (c) mmzs3 contributors. All rights reserved.
import logging
from typing import List

from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from mmzs3.registry import (OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                            OPTIMIZERS)

#: The end of mmengine's warning for each frozen parameter it leaves out.
FROZEN_WARNING_END = ' is skipped since its requires_grad=False'
#: Frozen parts named in the summary line; the rest are counted.
MAX_PARTS_SHOWN = 8


def is_frozen(module: nn.Module) -> bool:
    """Whether a module has parameters and none of them is trained.

    Args:
        module (nn.Module): Any module.

    Returns:
        bool: True if every parameter of the module and its children has
        ``requires_grad=False`` and there is at least one.
    """
    flags = [param.requires_grad for param in module.parameters()]
    return bool(flags) and not any(flags)


def frozen_parts(model: nn.Module, prefix: str = '') -> List[str]:
    """The largest frozen modules, and the frozen parameters of modules that
    also train, by name.

    Args:
        model (nn.Module): The model.
        prefix (str): The name of ``model``. Defaults to ''.

    Returns:
        list[str]: E.g. ``['backbone.bn1', 'text_encoder',
        'decode_head.cls_embed.logit_scale']``, in module order.
    """
    if prefix and is_frozen(model):
        return [prefix]
    join = (lambda name: f'{prefix}.{name}') if prefix else str
    parts = [
        join(name) for name, param in model.named_parameters(recurse=False)
        if not param.requires_grad
    ]
    for name, child in model.named_children():
        parts += frozen_parts(child, join(name))
    return parts


def frozen_summary(model: nn.Module) -> str:
    """The one log line that names the frozen parts of a model.

    Args:
        model (nn.Module): The model.

    Returns:
        str: E.g. ``'left 79 frozen parameters out of the optimizer:
        backbone.bn1, text_encoder, ...'``, or '' if nothing is frozen.
    """
    count = sum(not param.requires_grad for param in model.parameters())
    if not count:
        return ''
    parts = frozen_parts(model)
    shown = ', '.join(parts[:MAX_PARTS_SHOWN])
    if len(parts) > MAX_PARTS_SHOWN:
        shown += f' and {len(parts) - MAX_PARTS_SHOWN} more'
    return f'left {count} frozen parameters out of the optimizer: {shown}'


class _DropFrozenWarnings(logging.Filter):
    """Drops mmengine's per-parameter ``requires_grad=False`` warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().endswith(FROZEN_WARNING_END)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class TrainableOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor over the trainable parameters only,
    with one log line for the frozen ones.

    ZegFormer freezes its CLIP towers and the backbone's norm layers.
    mmengine's default constructor treats their parameters in two ways:

    - with a ``paramwise_cfg`` it leaves each of them out of the optimizer
      and logs one warning per parameter (``... is skipped since its
      requires_grad=False``): hundreds of lines on every run;
    - without one it hands every parameter, frozen or not, to the
      optimizer.

    This constructor leaves them out in both cases and logs one line
    instead::

        left 79 frozen parameters out of the optimizer: backbone.bn1, ...,
        text_encoder, decode_head.cls_embed.logit_scale

    With a ``paramwise_cfg`` the parameter groups are exactly mmengine's,
    so optimizer states saved with the default constructor resume with
    this one and the other way round. Without one, the single group holds
    the trainable parameters only.

    Use it with ``optim_wrapper=dict(constructor=
    'TrainableOptimWrapperConstructor', ...)``; arguments as for
    :class:`mmengine.optim.DefaultOptimWrapperConstructor`.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        model = getattr(model, 'module', model)
        logger = MMLogger.get_current_instance()
        drop = _DropFrozenWarnings()
        logger.addFilter(drop)
        try:
            optim_wrapper = (
                super().__call__(model)
                if self.paramwise_cfg else self._build_trainable(model))
        finally:
            logger.removeFilter(drop)
        summary = frozen_summary(model)
        if summary:
            print_log(summary, logger='current', level=logging.INFO)
        return optim_wrapper

    def _build_trainable(self, model: nn.Module) -> OptimWrapper:
        """One parameter group: the trainable parameters of ``model``."""
        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cfg['params'] = [
            param for param in model.parameters() if param.requires_grad
        ]
        optim_wrapper_cfg = self.optim_wrapper_cfg.copy()
        optim_wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(
            optim_wrapper_cfg,
            default_args=dict(optimizer=OPTIMIZERS.build(optimizer_cfg)))
