# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import Optional, Sequence

from mmengine.hooks import Hook

from mmzs3.registry import HOOKS


@HOOKS.register_module()
class NonFiniteLossHook(Hook):
    """Tell ``SkipNonFiniteOptimWrapper`` which samples the step trains on.

    Before each training iteration it hands the ``img_path`` of every data
    sample of the batch to the optimizer wrapper, which names them when it
    skips a step with a NaN/Inf loss.
    """

    priority = 'VERY_HIGH'

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        """Record the batch's sample names on the optimizer wrapper."""
        wrapper = runner.optim_wrapper
        if not hasattr(wrapper, 'sample_names'):
            return
        samples: Sequence = (data_batch or {}).get('data_samples', [])
        wrapper.sample_names = [
            str(sample.metainfo.get('img_path', f'<sample {i}>'))
            for i, sample in enumerate(samples)
        ]
