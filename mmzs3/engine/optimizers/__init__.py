# Copyright (c) mmzs3 contributors. All rights reserved.
from .skip_frozen_optim_wrapper_constructor import (
    SkipFrozenOptimWrapperConstructor, frozen_parts, is_frozen)
from .skip_non_finite_optim_wrapper import (NonFiniteLossError,
                                            SkipNonFiniteOptimWrapper)

__all__ = [
    'NonFiniteLossError', 'SkipNonFiniteOptimWrapper',
    'SkipFrozenOptimWrapperConstructor', 'frozen_parts', 'is_frozen'
]
