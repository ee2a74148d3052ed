# Copyright (c) mmzs3 contributors. All rights reserved.
from .clip_segment_classifier import CLIPSegmentClassifier
from .segment_text_classifier import SegmentTextClassifier

__all__ = ['CLIPSegmentClassifier', 'SegmentTextClassifier']
