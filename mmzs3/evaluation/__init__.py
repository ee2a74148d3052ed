# Copyright (c) mmzs3 contributors. All rights reserved.
from .metrics import HIoUMetric, class_areas, harmonic_mean

__all__ = ['HIoUMetric', 'class_areas', 'harmonic_mean']
