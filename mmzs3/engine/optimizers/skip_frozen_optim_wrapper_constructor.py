# Copyright (c) mmzs3 contributors. All rights reserved.
import logging
from typing import List

from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from mmzs3.registry import OPTIM_WRAPPER_CONSTRUCTORS

#: The end of mmengine's warning for each frozen parameter.
SKIPPED = ' is skipped since its requires_grad=False'
#: Frozen parts named in the log line; the rest are counted.
MAX_NAMES_SHOWN = 8


def is_frozen(module: nn.Module) -> bool:
    """Whether a module has parameters and none of them is trained.

    Args:
        module (nn.Module): Any module.

    Returns:
        bool: True if every parameter (of the module and its children) has
        ``requires_grad=False``, and there is at least one.
    """
    flags = [p.requires_grad for p in module.parameters()]
    return bool(flags) and not any(flags)


def frozen_parts(model: nn.Module, prefix: str = '') -> List[str]:
    """The largest frozen modules, and frozen parameters of modules that
    also train, by name.

    Args:
        model (nn.Module): The model.
        prefix (str): Name of ``model``. Defaults to ''.

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


class _DropSkipWarnings(logging.Filter):
    """Drops mmengine's per-parameter ``requires_grad=False`` warnings and
    counts them."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def filter(self, record: logging.LogRecord) -> bool:
        if record.getMessage().endswith(SKIPPED):
            self.count += 1
            return False
        return True


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SkipFrozenOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, with one log line for frozen
    parameters instead of one warning each.

    With a ``paramwise_cfg``, mmengine leaves every parameter with
    ``requires_grad=False`` out of the optimizer and logs a warning per
    parameter (``... is skipped since its requires_grad=False``): hundreds
    for ZegFormer's frozen CLIP towers and frozen norm layers, on every run.
    This constructor builds exactly what mmengine builds, drops those
    warnings while it does, and logs one line instead::

        left 412 frozen parameters out of the optimizer: backbone.bn1,
        ..., text_encoder, decode_head.cls_embed.logit_scale

    Without a ``paramwise_cfg`` mmengine hands all parameters to the
    optimizer (which skips those without gradients) and logs nothing, and
    so does this constructor.

    Use it with ``optim_wrapper=dict(constructor=
    'SkipFrozenOptimWrapperConstructor', ...)``; arguments as for
    :class:`mmengine.optim.DefaultOptimWrapperConstructor`.
    """

    def __call__(self, model: nn.Module) -> OptimWrapper:
        logger = MMLogger.get_current_instance()
        dropped = _DropSkipWarnings()
        logger.addFilter(dropped)
        try:
            optim_wrapper = super().__call__(model)
        finally:
            logger.removeFilter(dropped)
        if dropped.count:
            parts = frozen_parts(getattr(model, 'module', model))
            shown = ', '.join(parts[:MAX_NAMES_SHOWN])
            if len(parts) > MAX_NAMES_SHOWN:
                shown += f' and {len(parts) - MAX_NAMES_SHOWN} more'
            print_log(
                f'left {dropped.count} frozen parameters out of the '
                f'optimizer: {shown}',
                logger='current',
                level=logging.INFO)
        return optim_wrapper
