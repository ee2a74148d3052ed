# Copyright (c) mmzs3 contributors. All rights reserved.
import logging
from collections import OrderedDict
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.logging import MMLogger, print_log
from mmseg.evaluation import IoUMetric
from prettytable import PrettyTable
from torch import Tensor

from mmzs3.registry import METRICS

#: ``iou_metrics`` values mmseg's ``total_area_to_metrics`` knows.
IOU_METRICS = ('mIoU', 'mDice', 'mFscore')
#: Per-class scores whose seen and unseen means get a harmonic mean.
HARMONIC_SCORES = ('IoU', 'Dice', 'Fscore')


def class_areas(pred: Tensor, label: Tensor, num_classes: int,
                ignore_index: int) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Per-class intersection, union, prediction and label pixel counts.

    Same contract as mmseg's ``IoUMetric.intersect_and_union``, but with
    exact int64 counts (``torch.bincount``): mmseg's float32 ``histc`` sums
    lose whole pixels above 2**24 per class, which a full COCO or ADE
    validation set exceeds.

    Args:
        pred (Tensor): Predicted labels, shape (H, W).
        label (Tensor): Ground-truth labels, shape (H, W).
        num_classes (int): Number of classes K.
        ignore_index (int): Ground-truth value excluded from scoring.

    Returns:
        tuple[Tensor]: Four int64 CPU tensors of shape (K, ): intersection,
        union, predicted area and label area.
    """
    keep = label != ignore_index
    pred, label = pred[keep].long(), label[keep].long()
    valid = (label >= 0) & (label < num_classes)
    pred_ok = (pred >= 0) & (pred < num_classes)
    area_label = torch.bincount(label[valid], minlength=num_classes)
    area_pred = torch.bincount(pred[pred_ok], minlength=num_classes)
    hit = pred[(pred == label) & valid]
    area_inter = torch.bincount(hit, minlength=num_classes)
    area_union = area_pred + area_label - area_inter
    return (area_inter.cpu(), area_union.cpu(), area_pred.cpu(),
            area_label.cpu())


def harmonic_mean(seen: float, unseen: float) -> float:
    """hIoU = 2SU / (S + U); 0 when S + U = 0 or either is NaN.

    Args:
        seen (float): Seen score S.
        unseen (float): Unseen score U.

    Returns:
        float: The harmonic mean.
    """
    if np.isnan(seen) or np.isnan(unseen) or seen + unseen == 0:
        return 0.0
    return 2 * seen * unseen / (seen + unseen)


def nanmean(values: np.ndarray) -> float:
    """Mean of the non-NaN values; NaN (and no warning) if there are none.

    Args:
        values (np.ndarray): Any shape.

    Returns:
        float: The mean.
    """
    values = np.asarray(values, dtype=float).ravel()
    values = values[~np.isnan(values)]
    return float(values.mean()) if values.size else float('nan')


def percent_cells(values: np.ndarray) -> List[Union[float, str]]:
    """Per-class scores for the log table, in percent.

    Args:
        values (np.ndarray): Per-class IoU or accuracy, shape (K, ), NaN
            where the class has no pixel to score.

    Returns:
        list: Percent rounded to two decimals, ``'absent'`` for NaN.
    """
    return [
        'absent' if np.isnan(v) else round(float(v) * 100, 2) for v in values
    ]


def absent_note(classes: Sequence[str], splits: Sequence[str],
                gt_area: np.ndarray, iou: np.ndarray) -> Optional[str]:
    """Name the classes without ground-truth pixels, and what their IoU does.

    Args:
        classes (Sequence[str]): Class names, K of them.
        splits (Sequence[str]): ``'seen'``, ``'unseen'`` or ``'-'`` each.
        gt_area (np.ndarray): Ground-truth pixel counts, shape (K, ).
        iou (np.ndarray): Per-class IoU, shape (K, ).

    Returns:
        str, optional: One line for the log, None if every class has
        ground truth.
    """
    absent = np.flatnonzero(gt_area == 0)
    if not absent.size:
        return None
    parts = [
        f'{classes[i]!r} ({splits[i]}; ' +
        ('not predicted either: left out of the means)' if np.isnan(iou[i])
         else 'predicted: IoU 0, counted)') for i in absent
    ]
    return (f'HIoUMetric: {absent.size} of {len(classes)} classes have no '
            'ground-truth pixels in the evaluated images: ' +
            ', '.join(parts))


@METRICS.register_module()
class HIoUMetric(IoUMetric):
    """Generalised zero-shot metric: seen, unseen and harmonic mean scores.

    Every score is mmseg's: ``IoUMetric.total_area_to_metrics`` turns the
    summed areas of a group of classes into its pixel accuracy and
    per-class scores, with the metric's ``iou_metrics``, ``nan_to_num`` and
    ``beta``. Each group (all classes, the seen ones, the unseen ones)
    reports ``aAcc`` (pixel accuracy on the group's ground-truth pixels) and
    the mean of every per-class score (``mIoU``, ``mAcc``, ``mDice``,
    ``mFscore``, ``mPrecision``, ``mRecall``, as requested), suffixed
    ``_seen`` and ``_unseen`` for the splits. For each of IoU, Dice and
    Fscore requested, the harmonic mean of the seen and unseen means is
    reported as ``hIoU``, ``hDice``, ``hFscore`` (0 when their sum is 0 or
    either is NaN).

    A class absent from both the ground truth and the predictions has no
    IoU (NaN): it is left out of every mean and listed in the log (with
    ``nan_to_num`` it counts with that value instead, as in mmseg). A
    class only predicted has IoU 0 and counts. All values are percent
    rounded to two decimals, like mmseg.

    Per-sample results are int64 pixel counts (:func:`class_areas`), so the
    sums made after mmengine gathers them from every rank are exact.

    Args:
        seen_classes (Sequence[str], optional): Seen names. Defaults to
            None (read ``dataset_meta['seen_classes']``).
        unseen_classes (Sequence[str], optional): Unseen names. Defaults
            to None (read ``dataset_meta['unseen_classes']``).
        **kwargs: Arguments of :class:`mmseg.evaluation.IoUMetric`
            (``ignore_index``, ``iou_metrics``, ``nan_to_num``, ``beta``,
            ``output_dir``, ``format_only``, ...).
    """

    def __init__(self,
                 seen_classes: Optional[Sequence[str]] = None,
                 unseen_classes: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(self.metrics, str):
            self.metrics = [self.metrics]
        unknown = sorted(set(self.metrics) - set(IOU_METRICS))
        if unknown or not self.metrics:
            raise ValueError(f'HIoUMetric: iou_metrics must be a non-empty '
                             f'list of {IOU_METRICS}, got {self.metrics!r}')
        self.seen_classes = seen_classes
        self.unseen_classes = unseen_classes

    @staticmethod
    def intersect_and_union(pred_label: Tensor, label: Tensor,
                            num_classes: int, ignore_index: int) -> tuple:
        """Exact per-class areas; see :func:`class_areas`."""
        return class_areas(pred_label, label, num_classes, ignore_index)

    def _split_masks(self, classes: Sequence[str]) -> Tuple[np.ndarray, ...]:
        """Boolean masks of seen and unseen classes, by name."""
        meta = self.dataset_meta or {}
        unseen = self.unseen_classes
        if unseen is None:
            unseen = meta.get('unseen_classes', ())
        seen = self.seen_classes
        if seen is None:
            seen = meta.get('seen_classes')
        unknown = set(unseen) - set(classes)
        if seen is not None:
            unknown |= set(seen) - set(classes)
        if unknown:
            raise ValueError(f'HIoUMetric: split names not in the dataset '
                             f'classes: {sorted(unknown)}')
        unseen_mask = np.array([name in set(unseen) for name in classes])
        if seen is None:
            return ~unseen_mask, unseen_mask
        return np.array([name in set(seen) for name in classes]), unseen_mask

    def _scores(self, areas: Sequence[Tensor]) -> Dict[str, np.ndarray]:
        """mmseg's ``aAcc`` and per-class scores of some classes' areas."""
        return self.total_area_to_metrics(*areas, self.metrics,
                                          self.nan_to_num, self.beta)

    def compute_metrics(self, results: list) -> Dict[str, float]:
        """Compute the scores of all classes, the seen and the unseen ones.

        Args:
            results (list): Per-sample 4-tuples from :meth:`process`.

        Returns:
            dict[str, float]: Percentages: ``aAcc`` and the ``m`` means of
            the per-class scores (``mIoU``, ``mAcc``, ...), each also with
            ``_seen`` and ``_unseen``, and ``hIoU`` (``hDice``,
            ``hFscore``).
        """
        if self.format_only:
            return super().compute_metrics(results)
        areas = [
            torch.stack(part).sum(0).double() for part in zip(*results)
        ]
        classes = self.dataset_meta['classes']
        seen_mask, unseen_mask = self._split_masks(classes)
        groups = {
            '': np.ones(len(classes), dtype=bool),
            '_seen': seen_mask,
            '_unseen': unseen_mask
        }
        metrics = OrderedDict()
        for suffix, members in groups.items():
            picked = torch.from_numpy(members)
            for key, value in self._scores([a[picked]
                                            for a in areas]).items():
                name = key if key == 'aAcc' else 'm' + key
                metrics[name + suffix] = nanmean(value)
        for score in HARMONIC_SCORES:
            if f'm{score}_seen' in metrics:
                metrics['h' + score] = harmonic_mean(
                    metrics[f'm{score}_seen'], metrics[f'm{score}_unseen'])
        self._log_results(classes, self._scores(areas), areas[3].numpy(),
                          seen_mask, unseen_mask)
        for suffix in ('_seen', '_unseen'):
            if groups[suffix].any() and np.isnan(
                    metrics.get('mIoU' + suffix, 0.0)):
                print_log(
                    f'HIoUMetric: no {suffix[1:]} class is in the ground '
                    f'truth or the predictions, so mIoU{suffix} is '
                    'undefined (NaN) and hIoU is 0',
                    logger='current',
                    level=logging.WARNING)
        return {k: round(float(v) * 100, 2) for k, v in metrics.items()}

    @staticmethod
    def _log_results(classes: Sequence[str], scores: Dict[str, np.ndarray],
                     gt_area: np.ndarray, seen_mask: np.ndarray,
                     unseen_mask: np.ndarray) -> None:
        """Log mmseg's per-class table with a ``Split`` column, and name the
        classes without ground-truth pixels."""
        splits: List[str] = [
            'unseen' if u else ('seen' if s else '-')
            for s, u in zip(seen_mask, unseen_mask)
        ]
        table = PrettyTable()
        table.add_column('Class', list(classes))
        table.add_column('Split', splits)
        for key, value in scores.items():
            if key != 'aAcc':
                table.add_column(key, percent_cells(value))
        logger: MMLogger = MMLogger.get_current_instance()
        print_log('per class results:', logger)
        print_log('\n' + table.get_string(), logger=logger)
        iou = scores.get('IoU', np.full(len(classes), np.nan))
        note = absent_note(classes, splits, gt_area, iou)
        if note:
            print_log(note, logger=logger, level=logging.WARNING)
