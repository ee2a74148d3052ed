# Copyright (c) mmzs3 contributors. All rights reserved.
"""Distinct colours for a vocabulary of any size."""
import colorsys
from typing import List, Optional, Sequence

#: The golden ratio conjugate: successive hues stay far apart for any count.
_GOLDEN = 0.6180339887498949
_SATURATIONS = (0.95, 0.6)
_VALUES = (0.95, 0.7, 0.5)


def generate_palette(num_classes: int) -> List[List[int]]:
    """A deterministic palette of ``num_classes`` distinct RGB colours.

    Hues follow the golden-angle sequence, so that the first colours are
    spread around the colour wheel and each new one falls in the largest
    gap; saturation and brightness cycle more slowly, so that neighbouring
    labels also differ in lightness. A colour that rounds to one already
    taken is brightened by one step until it is unique.

    Args:
        num_classes (int): Number of classes K (any non-negative count).

    Returns:
        list[list[int]]: K ``[R, G, B]`` colours in ``0..255``.
    """
    palette, taken = [], set()
    for i in range(num_classes):
        hue = (i * _GOLDEN) % 1.0
        sat = _SATURATIONS[(i // 8) % len(_SATURATIONS)]
        val = _VALUES[(i // 16) % len(_VALUES)]
        rgb = tuple(round(c * 255) for c in colorsys.hsv_to_rgb(hue, sat, val))
        while rgb in taken:
            rgb = tuple(min(255, c + 1) if c < 255 else c - 1 for c in rgb)
        taken.add(rgb)
        palette.append(list(rgb))
    return palette


def complete_palette(palette: Optional[Sequence[Sequence[int]]],
                     num_classes: int) -> List[List[int]]:
    """A palette that fits ``num_classes``: the given one if it has exactly
    as many colours, else a generated one.

    Args:
        palette (Sequence[Sequence[int]], optional): A dataset's palette.
        num_classes (int): Number of classes K.

    Returns:
        list[list[int]]: K ``[R, G, B]`` colours.
    """
    if palette is not None and len(palette) == num_classes:
        return [list(color) for color in palette]
    return generate_palette(num_classes)
