# Copyright (c) mmzs3 contributors. All rights reserved.
from .open_vocab_seg_visualizer import OpenVocabSegVisualizer, legend_rows
from .palette import complete_palette, generate_palette

__all__ = [
    'OpenVocabSegVisualizer', 'legend_rows', 'complete_palette',
    'generate_palette'
]
