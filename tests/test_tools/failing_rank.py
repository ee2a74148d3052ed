# Copyright (c) mmzs3 contributors. All rights reserved.
"""Test-only: a hook that raises on one rank of a distributed run."""
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmzs3.registry import HOOKS


@HOOKS.register_module()
class TestRaiseOnRankHook(Hook):
    """Raise ``RuntimeError`` on rank ``rank`` before iteration ``at_iter``.

    Args:
        rank (int): The rank that fails. Defaults to 1.
        at_iter (int): 0-based training iteration. Defaults to 1.
    """

    def __init__(self, rank: int = 1, at_iter: int = 1) -> None:
        self.rank, self.at_iter = rank, at_iter

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if get_rank() == self.rank and runner.iter == self.at_iter:
            raise RuntimeError(f'rank {self.rank} fails on purpose')
