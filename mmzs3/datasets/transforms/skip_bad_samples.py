# Copyright (c) mmzs3 contributors. All rights reserved.
import logging
from typing import List, Optional, Union

import numpy as np
from mmcv.transforms import BaseTransform, Compose
from mmengine.logging import print_log

from mmzs3.registry import TRANSFORMS

ON_BAD = ('skip', 'raise')


class BadSampleError(ValueError):
    """Raised by :class:`SkipBadSamples` (``on_bad='raise'``) for a bad
    sample; the message names the file and the problem."""


@TRANSFORMS.register_module()
class SkipBadSamples(BaseTransform):
    """Run transforms; on a bad sample log it and drop it, or stop clearly.

    Wrap the loading transforms of a training pipeline in it. When one of
    them raises (a missing, corrupt or truncated file), or the loaded sample
    fails the checks below, ``on_bad='skip'`` logs a warning naming the
    file and the problem and returns None; mmengine's ``BaseDataset`` then
    draws another sample (training only: in ``test_mode`` a dropped sample
    is an error). ``on_bad='raise'`` (what mmzs3's dataset configs use)
    stops with a :class:`BadSampleError` naming the file and the problem,
    where the plain pipeline would fail later with a library's traceback
    (e.g. ``torch.stack`` on a label of another size).
    Run ``tools/misc/check_dataset.py`` to list every bad file up front.

    Checks after loading: the label map has the image's height and width,
    and, when ``num_classes`` is given, every label value is a class index
    or ``ignore_index``.

    Args:
        transforms (list[dict | callable]): The wrapped transforms.
        num_classes (int, optional): Number of classes, enabling the label
            value check. Defaults to None.
        ignore_index (int): Ignored label value. Defaults to 255.
        on_bad (str): 'skip' or 'raise'. Defaults to 'skip'.
    """

    def __init__(self,
                 transforms: List[Union[dict, callable]],
                 num_classes: Optional[int] = None,
                 ignore_index: int = 255,
                 on_bad: str = 'skip') -> None:
        if on_bad not in ON_BAD:
            raise ValueError(f'SkipBadSamples: on_bad must be one of '
                             f'{ON_BAD}, got {on_bad!r}')
        self.transforms = Compose(transforms)
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        self.on_bad = on_bad

    def transform(self, results: dict) -> Optional[dict]:
        """Apply the wrapped transforms, or log and drop the sample.

        Args:
            results (dict): The sample, with ``img_path`` (and
                ``seg_map_path``).

        Returns:
            dict | None: The transformed sample, or None if it is bad.

        Raises:
            BadSampleError: If the sample is bad and ``on_bad='raise'``.
        """
        name = results.get('img_path', '<unknown sample>')
        try:
            out = self.transforms(results)
            problem = None if out is None else self._problem(out)
        except Exception as err:  # any failure of a bad file
            out, problem = None, f'{type(err).__name__}: {err}'
        if problem is not None and self.on_bad == 'raise':
            raise BadSampleError(
                f'bad training sample {name}: {problem} (check every file '
                'with tools/misc/check_dataset.py, or skip bad samples with '
                "SkipBadSamples(on_bad='skip'))")
        if problem is not None:
            print_log(f'SkipBadSamples: skipping {name}: {problem}',
                      logger='current', level=logging.WARNING)
            return None
        return out

    def _problem(self, results: dict) -> Optional[str]:
        """Describe what is wrong with a loaded sample, if anything."""
        img, label = results.get('img'), results.get('gt_seg_map')
        if img is None:
            return 'the image could not be decoded'
        if label is None:
            return None
        if label.shape[:2] != img.shape[:2]:
            return (f'label size {label.shape[:2]} differs from image size '
                    f'{img.shape[:2]} ({results.get("seg_map_path")})')
        if self.num_classes is None:
            return None
        values = np.unique(label)
        bad = values[((values < 0) | (values >= self.num_classes))
                     & (values != self.ignore_index)]
        if bad.size:
            return (f'label values {bad.tolist()[:10]} are outside 0..'
                    f'{self.num_classes - 1} and not {self.ignore_index} '
                    f'({results.get("seg_map_path")})')
        return None

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(transforms={self.transforms}, '
                f'num_classes={self.num_classes}, '
                f'ignore_index={self.ignore_index}, on_bad={self.on_bad!r})')
