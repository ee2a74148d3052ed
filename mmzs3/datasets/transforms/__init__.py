# Copyright (c) mmzs3 contributors. All rights reserved.
from .load_wide_seg_annotations import LoadWideSegAnnotations
from .skip_bad_samples import BadSampleError, SkipBadSamples

__all__ = [
    'LoadWideSegAnnotations', 'BadSampleError', 'SkipBadSamples'
]
