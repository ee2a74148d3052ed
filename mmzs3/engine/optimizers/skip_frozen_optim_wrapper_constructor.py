# Copyright (c) mmzs3 contributors. All rights reserved.
import logging
from typing import List, Optional, Union

from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from mmzs3.registry import OPTIM_WRAPPER_CONSTRUCTORS

#: Frozen modules named in the log line; the rest are counted.
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


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class SkipFrozenOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """mmengine's default constructor, quiet about frozen modules.

    With a ``paramwise_cfg``, mmengine leaves every parameter with
    ``requires_grad=False`` out of the optimizer and logs one warning per
    parameter (``... is skipped since its requires_grad=False``): hundreds
    for ZegFormer's frozen CLIP towers, on every run. This constructor
    leaves whole frozen modules (the CLIP towers, frozen backbone stages)
    out before mmengine looks at their parameters and logs one line
    instead::

        left 412 frozen parameters out of the optimizer: clip_classifier,
        text_encoder

    Everything else, including the optimizer's parameter groups, is
    mmengine's. Without a ``paramwise_cfg`` mmengine hands all parameters
    to the optimizer and logs nothing; the optimizer skips those without
    gradients.

    Use it with ``optim_wrapper=dict(constructor=
    'SkipFrozenOptimWrapperConstructor', ...)``; arguments as for
    :class:`mmengine.optim.DefaultOptimWrapperConstructor`.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._frozen: List[str] = []
        self._num_frozen = 0

    def __call__(self, model: nn.Module) -> OptimWrapper:
        self._frozen, self._num_frozen = [], 0
        optim_wrapper = super().__call__(model)
        if self._frozen:
            shown = ', '.join(self._frozen[:MAX_NAMES_SHOWN])
            if len(self._frozen) > MAX_NAMES_SHOWN:
                shown += f' and {len(self._frozen) - MAX_NAMES_SHOWN} more'
            print_log(
                f'left {self._num_frozen} frozen parameters out of the '
                f'optimizer: {shown}',
                logger='current',
                level=logging.INFO)
        return optim_wrapper

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module: Optional[Union[int, float]] = None) -> None:
        """mmengine's ``add_params``, skipping frozen modules silently.

        Args:
            params (list[dict]): Parameter groups, extended in place.
            module (nn.Module): The module to add.
            prefix (str): The module's name. Defaults to ''.
            is_dcn_module (int | float, optional): As in mmengine.
                Defaults to None.
        """
        if prefix and is_frozen(module):
            self._frozen.append(prefix)
            self._num_frozen += sum(1 for _ in module.parameters())
            return
        super().add_params(params, module, prefix, is_dcn_module)
