# Copyright (c) mmzs3 contributors. All rights reserved.
"""Type aliases shared across mmzs3 (re-exported from mmseg)."""
from mmseg.utils import (ConfigType, ForwardResults, MultiConfig,
                         OptConfigType, OptMultiConfig, OptSampleList,
                         SampleList, TensorDict, TensorList)

__all__ = [
    'ConfigType', 'OptConfigType', 'MultiConfig', 'OptMultiConfig',
    'SampleList', 'OptSampleList', 'TensorDict', 'TensorList',
    'ForwardResults'
]
