# Copyright (c) mmzs3 contributors. All rights reserved.
from .skip_non_finite_optim_wrapper import (NonFiniteLossError,
                                            SkipNonFiniteOptimWrapper)
from .trainable_optim_wrapper_constructor import (
    TrainableOptimWrapperConstructor, frozen_parts, frozen_summary, is_frozen)

__all__ = [
    'NonFiniteLossError', 'SkipNonFiniteOptimWrapper',
    'TrainableOptimWrapperConstructor', 'frozen_parts', 'frozen_summary',
    'is_frozen'
]
