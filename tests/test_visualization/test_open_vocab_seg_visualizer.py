# Copyright (c) mmzs3 contributors. All rights reserved.
"""Generated palettes and the legend of OpenVocabSegVisualizer."""
import itertools

import numpy as np
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from mmzs3.visualization import (OpenVocabSegVisualizer, complete_palette,
                                 generate_palette, legend_rows)


def test_generated_palette_is_distinct_for_any_size():
    assert generate_palette(0) == []
    assert generate_palette(1) == [[242, 12, 12]]
    for size in (2, 171, 300, 847, 2000):
        palette = generate_palette(size)
        assert len({tuple(c) for c in palette}) == size
        assert all(0 <= v <= 255 for c in palette for v in c)
    first = np.array(generate_palette(12), dtype=float)
    gaps = [np.abs(a - b).sum() for a, b in itertools.combinations(first, 2)]
    assert min(gaps) >= 60  # no two of the first 12 look alike
    assert generate_palette(5) == generate_palette(300)[:5]


def test_complete_palette_keeps_a_fitting_dataset_palette():
    assert complete_palette([[1, 2, 3], [4, 5, 6]], 2) == [[1, 2, 3],
                                                          [4, 5, 6]]
    assert complete_palette([[1, 2, 3]], 2) == generate_palette(2)
    assert complete_palette(None, 3) == generate_palette(3)


def test_legend_rows_order_shares_and_ignored_labels():
    labels = np.array([[2, 2, 2, 0], [0, 255, 2, 1]])
    rows = legend_rows(labels, ['a', 'b', 'c'], generate_palette(3))
    assert [r[0] for r in rows] == ['c', 'a', 'b']
    np.testing.assert_allclose([r[2] for r in rows], [4 / 7, 2 / 7, 1 / 7])
    assert rows[0][1] == generate_palette(3)[2]


def test_drawing_has_a_legend_with_the_class_colours(tmp_path):
    vis = OpenVocabSegVisualizer(name='test_legend', alpha=1.0)
    names = ['cat', 'árbol', 'person, people']
    vis.set_dataset_meta(names)
    assert vis.dataset_meta['palette'] == generate_palette(3)
    labels = torch.zeros(1, 40, 60, dtype=torch.long)
    labels[:, :, 30:] = 2
    sample = SegDataSample()
    sample.pred_sem_seg = PixelData(data=labels)
    image = np.zeros((40, 60, 3), np.uint8)
    vis.add_datasample('x', image, sample, draw_gt=False,
                       with_labels=False)
    drawn = vis.get_image()
    assert drawn.shape[1] > 60 + 50
    assert drawn.shape[0] == max(40, (14 + 8) * 3 + 8)
    palette = generate_palette(3)
    np.testing.assert_array_equal(drawn[20, 10], palette[0])
    np.testing.assert_array_equal(drawn[20, 45], palette[2])
    panel = drawn[:, 60:].reshape(-1, 3)
    present = {tuple(c) for c in panel}
    assert tuple(palette[0]) in present and tuple(palette[2]) in present
    assert tuple(palette[1]) not in present  # absent class: no row
