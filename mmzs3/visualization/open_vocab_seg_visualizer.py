# Copyright (c) mmzs3 contributors. All rights reserved.
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import matplotlib
import numpy as np
from mmengine.structures import PixelData
from mmseg.visualization import SegLocalVisualizer
from PIL import Image, ImageDraw, ImageFont

from mmzs3.registry import VISUALIZERS
from .palette import complete_palette

#: A font shipped with matplotlib (a dependency of mmengine) that covers
#: Latin, Greek and Cyrillic; OpenCV's Hershey fonts are ASCII only.
FONT_PATH = osp.join(matplotlib.get_data_path(), 'fonts', 'ttf',
                     'DejaVuSans.ttf')


@VISUALIZERS.register_module()
class OpenVocabSegVisualizer(SegLocalVisualizer):
    """mmseg's ``SegLocalVisualizer`` for vocabularies of any size.

    The palette is generated (:func:`generate_palette`) whenever the
    dataset meta has none of the right length, e.g. for a user vocabulary
    or a zero-shot test set, and a legend panel to the right of each drawn
    map lists the classes present with their colour and pixel share, most
    frequent first (names may hold any Unicode letter).

    Args:
        name (str): The instance name. Defaults to 'visualizer'.
        legend (bool): Whether to draw the legend. Defaults to True.
        max_legend_rows (int): Rows listed before ``+N more``.
            Defaults to 30.
        font_size (int): Legend font size in pixels. Defaults to 14.
        **kwargs: Arguments of ``SegLocalVisualizer``.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 legend: bool = True,
                 max_legend_rows: int = 30,
                 font_size: int = 14,
                 **kwargs) -> None:
        super().__init__(name=name, **kwargs)
        self.legend = legend
        self.max_legend_rows = max_legend_rows
        self.font_size = font_size

    def set_dataset_meta(self,
                         classes: Optional[Sequence[str]] = None,
                         palette: Optional[Sequence] = None,
                         dataset_name: Optional[str] = None) -> None:
        """Set the class names, completing the palette to their number.

        Args:
            classes (Sequence[str], optional): Class names. Defaults to None
                (those of ``dataset_name``).
            palette (Sequence, optional): RGB colours. Defaults to None
                (generated).
            dataset_name (str, optional): An mmseg dataset name used when
                ``classes`` is None. Defaults to None.
        """
        if classes:
            self.dataset_meta = dict(
                classes=list(classes),
                palette=complete_palette(palette, len(classes)))
            return
        super().set_dataset_meta(classes, palette, dataset_name)

    def _draw_sem_seg(self,
                      image: np.ndarray,
                      sem_seg: PixelData,
                      classes: Optional[List],
                      palette: Optional[List],
                      with_labels: Optional[bool] = True) -> np.ndarray:
        """Draw a label map (and the legend) over an RGB image.

        Args:
            image (np.ndarray): RGB image, shape (H, W, 3).
            sem_seg (PixelData): Label map, shape (1, H, W).
            classes (list, optional): Class names.
            palette (list, optional): Colours; completed to the classes.
            with_labels (bool, optional): Also write names on the regions
                (mmseg's ASCII labels). Defaults to True.

        Returns:
            np.ndarray: The drawing, shape (H', W', 3) with the legend.
        """
        palette = complete_palette(palette, len(classes))
        drawn = super()._draw_sem_seg(image, sem_seg, classes, palette,
                                      with_labels)
        if not self.legend:
            return drawn
        labels = np.asarray(sem_seg.cpu().data)[0]
        rows = legend_rows(labels, classes, palette)
        drawn = self._attach_legend(drawn, rows, len(classes))
        self.set_image(drawn)
        return drawn

    def _attach_legend(self, drawn: np.ndarray,
                       rows: List[Tuple[str, List[int], float]],
                       num_classes: int) -> np.ndarray:
        """The drawing with a legend panel on its right, shape (H', W', 3).

        The height depends on the image and the vocabulary size only, so
        that ground truth and prediction drawings can be put side by side.
        """
        rows, extra = rows[:self.max_legend_rows], rows[self.max_legend_rows:]
        font = ImageFont.truetype(FONT_PATH, self.font_size)
        row_h = self.font_size + 8
        texts = [f'{name}  {share:.1%}' for name, _, share in rows]
        if extra:
            texts.append(f'+{len(extra)} more')
        text_w = max(font.getlength(t) for t in texts) if texts else 0
        width = int(text_w) + row_h + 16
        max_rows = min(num_classes, self.max_legend_rows + 1)
        height = max(drawn.shape[0], row_h * max_rows + 8)
        panel = Image.new('RGB', (width, height), (255, 255, 255))
        draw = ImageDraw.Draw(panel)
        for i, text in enumerate(texts):
            top = 4 + i * row_h
            if i < len(rows):
                draw.rectangle([6, top + 2, 6 + row_h - 6, top + row_h - 4],
                               fill=tuple(rows[i][1]), outline=(0, 0, 0))
            draw.text((row_h + 8, top + 2), text, fill=(0, 0, 0), font=font)
        canvas = np.full((height, drawn.shape[1] + width, 3), 255, np.uint8)
        canvas[:drawn.shape[0], :drawn.shape[1]] = drawn
        canvas[:, drawn.shape[1]:] = np.asarray(panel)
        return canvas


def legend_rows(labels: np.ndarray, classes: Sequence[str],
                palette: Sequence[Sequence[int]]
                ) -> List[Tuple[str, List[int], float]]:
    """Name, colour and pixel share of each class present, most frequent
    first (labels outside the vocabulary, e.g. ignore indices, are not
    counted).

    Args:
        labels (np.ndarray): Label map, shape (H, W).
        classes (Sequence[str]): Class names.
        palette (Sequence[Sequence[int]]): One colour per class.

    Returns:
        list[tuple[str, list[int], float]]: The legend rows.
    """
    ids, counts = np.unique(labels, return_counts=True)
    keep = (ids >= 0) & (ids < len(classes))
    ids, counts = ids[keep], counts[keep]
    order = np.argsort(-counts, kind='stable')
    total = max(int(counts.sum()), 1)
    return [(classes[ids[i]], list(palette[ids[i]]), counts[i] / total)
            for i in order]
