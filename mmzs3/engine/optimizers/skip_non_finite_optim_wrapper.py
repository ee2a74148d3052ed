# Copyright (c) mmzs3 contributors. All rights reserved.
import logging
from typing import Dict, List, Optional

import torch
from mmengine.dist import all_reduce
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper

from mmzs3.registry import OPTIM_WRAPPERS


class NonFiniteLossError(RuntimeError):
    """Raised when too many steps had a NaN/Inf loss or gradient."""


@OPTIM_WRAPPERS.register_module()
class SkipNonFiniteOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that skips steps whose loss or gradients are NaN/Inf.

    A skipped step changes no parameter and no optimizer state: its
    gradients are discarded. Each skip is logged as a warning naming the
    samples of the batch (``NonFiniteLossHook`` hands them over; without it
    the names are unknown). In distributed training all ranks agree on the
    decision, so they skip together and no collective call is left waiting.

    Note:
        Buffers that the forward pass updates (BatchNorm running statistics)
        cannot be rolled back by an optimizer wrapper; a NaN produced inside
        the forward pass of a BN layer still reaches them.

    Args:
        max_skipped_steps (int): The run stops with
            :class:`NonFiniteLossError` when more steps than this have been
            skipped since it (re)started; checkpoints written so far are
            kept and hold finite weights. Defaults to 10.
        check_grads (bool): Also skip steps whose loss is finite but whose
            gradients are not. Defaults to True.
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self,
                 max_skipped_steps: int = 10,
                 check_grads: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if max_skipped_steps < 0:
            raise ValueError('max_skipped_steps must be >= 0, got '
                             f'{max_skipped_steps}')
        self.max_skipped_steps = max_skipped_steps
        self.check_grads = check_grads
        self.num_skipped_steps = 0
        self.sample_names: List[str] = []

    def update_params(self,
                      loss: torch.Tensor,
                      step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """Back-propagate and step, unless the loss or gradients are bad.

        Args:
            loss (torch.Tensor): The loss to back-propagate.
            step_kwargs (dict, optional): Arguments of ``optimizer.step``.
                Defaults to None.
            zero_kwargs (dict, optional): Arguments of
                ``optimizer.zero_grad``. Defaults to None.
        """
        if not _finite_on_all_ranks([loss.detach()]):
            self._skip(f'loss is {loss.item()}', zero_kwargs)
            return
        self.backward(self.scale_loss(loss))
        if not self.should_update():
            return
        grads = [
            p.grad for group in self.optimizer.param_groups
            for p in group['params'] if p.grad is not None
        ]
        if self.check_grads and not _finite_on_all_ranks(grads):
            self._skip('gradients hold NaN or Inf', zero_kwargs)
            return
        self.step(**(step_kwargs or {}))
        self.zero_grad(**(zero_kwargs or {}))

    def _skip(self, reason: str, zero_kwargs: Optional[Dict]) -> None:
        self.zero_grad(**(zero_kwargs or {}))
        self.num_skipped_steps += 1
        names = ', '.join(self.sample_names) or (
            'unknown (add NonFiniteLossHook to custom_hooks to log them)')
        message = (f'non-finite training step skipped ({reason}); '
                   f'{self.num_skipped_steps} skipped so far; samples: '
                   f'{names}')
        print_log(message, logger='current', level=logging.WARNING)
        if self.num_skipped_steps > self.max_skipped_steps:
            raise NonFiniteLossError(
                f'{message}. Stopping: more than max_skipped_steps='
                f'{self.max_skipped_steps} steps were skipped; the last '
                'checkpoint in the work dir holds the last good weights')


def _finite_on_all_ranks(tensors: List[torch.Tensor]) -> bool:
    """Whether every tensor is finite on every rank (one all-reduce)."""
    bad = torch.zeros(1)
    for tensor in tensors:
        if not bool(torch.isfinite(tensor).all()):
            bad += 1
            break
    all_reduce(bad)
    return bad.item() == 0
