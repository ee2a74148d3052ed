# Copyright (c) mmzs3 contributors. All rights reserved.
"""The synthetic zero-shot benchmark: vocabulary, split and dataset class.

The vocabulary is compositional: every class is a colour word followed by a
shape word (``'red circle'``). The unseen classes form a Latin-square
diagonal of the colour x shape grid, so every colour word and every shape
word still occurs in ``len(COLOURS) - 1`` seen classes. This module is the
single source of the vocabulary, the split and the colours used to draw the
objects; the generator (``tools/dataset_converters/synthetic_shapes.py``) and
the split registry import it.
"""
from typing import Dict, List, Tuple

from mmseg.datasets import BaseSegDataset

from mmzs3.registry import DATASETS

#: Base RGB colour of each colour word, as drawn by the generator.
SHAPE_COLOURS: Dict[str, Tuple[int, int, int]] = {
    'red': (215, 40, 40),
    'green': (40, 175, 60),
    'blue': (45, 75, 215),
    'yellow': (225, 205, 40),
}
COLOURS: Tuple[str, ...] = tuple(SHAPE_COLOURS)
SHAPES: Tuple[str, ...] = ('circle', 'square', 'triangle', 'star')
#: All class names, colour-major: label id ``c * len(SHAPES) + s``.
SYNTHETIC_CLASSES: Tuple[str, ...] = tuple(f'{colour} {shape}'
                                           for colour in COLOURS
                                           for shape in SHAPES)
#: The Latin-square diagonal: red circle, green square, blue triangle,
#: yellow star.
SYNTHETIC_UNSEEN_CLASSES: Tuple[str, ...] = tuple(
    f'{colour} {SHAPES[i]}' for i, colour in enumerate(COLOURS))
SYNTHETIC_SEEN_CLASSES: Tuple[str, ...] = tuple(
    name for name in SYNTHETIC_CLASSES
    if name not in SYNTHETIC_UNSEEN_CLASSES)


#: Caption templates of the image-caption set; "a photo of a {}." is the
#: most natural prompt for text encoders reusing the tiny CLIP.
CAPTION_TEMPLATES: Tuple[str, ...] = ('a photo of a {}.', 'a {}.',
                                      'a picture of a {}.',
                                      'an image of a {}.')


def _palette() -> List[List[int]]:
    """Display colours: the colour word's RGB, darker for later shapes."""
    return [[
        int(value * (1.0 - 0.18 * SHAPES.index(name.split(' ')[1])))
        for value in SHAPE_COLOURS[name.split(' ')[0]]
    ] for name in SYNTHETIC_CLASSES]


def class_name(colour: str, shape: str) -> str:
    """The class name of a colour word and a shape word."""
    return f'{colour} {shape}'


def class_id(colour: str, shape: str) -> int:
    """The label id of ``class_name(colour, shape)`` in the full vocabulary.
    """
    return SYNTHETIC_CLASSES.index(class_name(colour, shape))


@DATASETS.register_module()
class SyntheticShapesDataset(BaseSegDataset):
    """Coloured shapes on textured backgrounds, a zero-shot miniature.

    Written by ``tools/dataset_converters/synthetic_shapes.py`` in mmseg's
    layout (``img_dir/{train,val}/*.png`` and ``ann_dir/{train,val}/*.png``).
    Label ids ``0..15`` index :data:`SYNTHETIC_CLASSES`; background pixels
    are 255 (ignored), like PASCAL VOC's background in ZegFormer's protocol,
    so ``reduce_zero_label`` is False. Annotations hold the full 16-class
    ground truth in both splits: unseen objects do appear in training images,
    and seen-class training maps them to 255 through
    ``metainfo=dict(classes=SYNTHETIC_SEEN_CLASSES)`` (mmseg's label map),
    which is the paper's setting. ``docs/synthetic_benchmark.md`` describes
    the benchmark.

    Args:
        img_suffix (str): Suffix of images. Defaults to '.png'.
        **kwargs: Further arguments of :class:`mmseg.datasets.BaseSegDataset`
            (label maps are ``.png``, ``reduce_zero_label`` is False).
    """
    METAINFO = dict(classes=SYNTHETIC_CLASSES, palette=_palette())

    def __init__(self, img_suffix: str = '.png', **kwargs) -> None:
        super().__init__(img_suffix=img_suffix, **kwargs)
