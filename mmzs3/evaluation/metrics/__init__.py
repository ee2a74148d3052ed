# Copyright (c) mmzs3 contributors. All rights reserved.
from .hiou_metric import HIoUMetric, class_areas, harmonic_mean

__all__ = ['HIoUMetric', 'class_areas', 'harmonic_mean']
