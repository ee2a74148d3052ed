# Copyright (c) mmzs3 contributors. All rights reserved.
from .skip_non_finite_optim_wrapper import (NonFiniteLossError,
                                            SkipNonFiniteOptimWrapper)

__all__ = ['NonFiniteLossError', 'SkipNonFiniteOptimWrapper']
