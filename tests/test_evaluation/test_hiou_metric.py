# Copyright (c) mmzs3 contributors. All rights reserved.
"""HIoUMetric on hand-made confusion cases with exact expected numbers."""
import logging
import os
import re
import socket

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.hooks import CheckpointHook

from mmzs3.evaluation import HIoUMetric, class_areas, harmonic_mean
from mmzs3.evaluation.metrics import hiou_metric
from mmzs3.evaluation.metrics.hiou_metric import absent_note, percent_cells

CLASSES = ('a', 'b', 'c', 'd')
META = dict(
    classes=CLASSES, seen_classes=('a', 'b'), unseen_classes=('c', 'd'))


def sample(pred, gt) -> dict:
    """One data sample in the dict form mmseg's metric reads."""
    return dict(
        pred_sem_seg=dict(data=torch.tensor(pred)[None]),
        gt_sem_seg=dict(data=torch.tensor(gt)[None]))


# GT / prediction, 2x4 each. Class d is absent from both (excluded);
# class c is predicted but absent from GT (IoU 0, counted).
GT1 = [[0, 0, 1, 1], [0, 0, 1, 255]]
PRED1 = [[0, 1, 1, 1], [0, 0, 2, 2]]
# An all-ignore image contributes nothing.
GT2 = [[255, 255], [255, 255]]
PRED2 = [[3, 3], [3, 3]]
# a: inter 3, union 4 -> 0.75; b: inter 2, union 4 -> 0.5;
# c: inter 0, union 1 -> 0 (predicted on a b pixel; 255 pixel ignored);
# d: predicted only on ignored pixels -> absent -> NaN, excluded.


def evaluate(samples, meta=META, **kwargs) -> dict:
    metric = HIoUMetric(**kwargs)
    metric.dataset_meta = meta
    for s in samples:
        metric.process({}, [s])
    return metric.evaluate(len(samples))


def test_class_areas_exact_int64():
    areas = class_areas(torch.tensor(PRED1), torch.tensor(GT1), 4, 255)
    inter, union, pred, label = (a.tolist() for a in areas)
    assert inter == [3, 2, 0, 0]
    assert union == [4, 4, 1, 0]
    assert pred == [3, 3, 1, 0]
    assert label == [4, 3, 0, 0]
    assert all(a.dtype == torch.int64 for a in areas)


def test_missing_class_and_all_ignore_image():
    m = evaluate([sample(PRED1, GT1), sample(PRED2, GT2)])
    assert m['mIoU'] == pytest.approx(round((0.75 + 0.5 + 0) / 3 * 100, 2))
    assert m['mIoU_seen'] == 62.5
    assert m['mIoU_unseen'] == 0.0
    assert m['hIoU'] == 0.0
    assert m['aAcc'] == pytest.approx(round(5 / 7 * 100, 2))
    # accuracy from accuracy: a 3/4, b 2/3; c, d have no GT pixels
    assert m['mAcc_seen'] == pytest.approx(round((0.75 + 2 / 3) / 2 * 100, 2))
    assert m['aAcc_seen'] == pytest.approx(round(5 / 7 * 100, 2))
    assert np.isnan(m['mAcc_unseen']) and np.isnan(m['aAcc_unseen'])


def test_hiou_value_and_split_from_constructor():
    # seen a: IoU 1/2; unseen b: 1/4 -> hIoU = 2*0.5*0.25/0.75 = 1/3
    gt = [[0, 0, 1, 1]]
    pred = [[0, 1, 1, 2]]
    # a: inter 1, union 2 -> 0.5; b: inter 1, union 3 -> 1/3; c: 0
    m = evaluate([sample(pred, gt)], meta=dict(classes=CLASSES),
                 seen_classes=('a', ), unseen_classes=('b', ))
    assert m['mIoU_seen'] == 50.0
    assert m['mIoU_unseen'] == pytest.approx(33.33)
    assert m['hIoU'] == pytest.approx(round(2 * 0.5 * (1 / 3) /
                                            (0.5 + 1 / 3) * 100, 2))
    gt = [[0, 0, 2, 2]]
    pred = [[0, 3, 2, 3]]
    m = evaluate([sample(pred, gt)], meta=META)
    # a 1/2, c 1/2; b absent; d 0 (predicted only) -> seen .5 unseen .25
    assert (m['mIoU_seen'], m['mIoU_unseen']) == (50.0, 25.0)
    assert m['hIoU'] == pytest.approx(33.33)


# Unseen class d is in no ground truth. GT_ABSENT_D / PRED_ABSENT_D (2x4):
GT_ABSENT_D = [[0, 0, 1, 1], [2, 2, 2, 1]]
PRED_ABSENT_D = [[0, 1, 1, 1], [2, 2, 0, 1]]
# a: GT 2, pred 2, inter 1 -> 1/3; b: GT 3, pred 4, inter 3 -> 3/4;
# c: GT 3, pred 2, inter 2 -> 2/3; d: neither -> absent, left out.


@pytest.fixture
def logged(monkeypatch):
    """Messages the metric logs, with their levels."""
    messages = []
    monkeypatch.setattr(
        hiou_metric, 'print_log',
        lambda msg, logger=None, level=20: messages.append((msg, level)))
    return messages


def test_unseen_class_absent_from_ground_truth(logged):
    m = evaluate([sample(PRED_ABSENT_D, GT_ABSENT_D)])
    seen, unseen = (1 / 3 + 3 / 4) / 2, 2 / 3
    assert m['mIoU_seen'] == pytest.approx(round(seen * 100, 2))
    assert m['mIoU_unseen'] == pytest.approx(66.67)
    assert m['hIoU'] == pytest.approx(
        round(2 * seen * unseen / (seen + unseen) * 100, 2))  # 59.77
    assert m['hIoU'] == pytest.approx(59.77)
    assert m['mIoU'] == pytest.approx(58.33)  # (1/3 + 3/4 + 2/3) / 3
    table = next(msg for msg, _ in logged if '| Class' in msg)
    row_d = next(line for line in table.splitlines()
                 if re.match(r'\|\s+d\s+\|', line))
    assert [c.strip() for c in row_d.strip('|').split('|')] == [
        'd', 'unseen', 'absent', 'absent'
    ]
    notes = [(msg, lvl) for msg, lvl in logged if 'ground-truth' in msg]
    assert notes == [(
        "HIoUMetric: 1 of 4 classes have no ground-truth pixels in the "
        "evaluated images: 'd' (unseen; not predicted either: left out of "
        'the means)', logging.WARNING)]


def test_absent_class_that_is_predicted_counts_zero(logged):
    pred = [[0, 1, 1, 1], [2, 2, 3, 1]]  # one b pixel predicted as d
    m = evaluate([sample(pred, GT_ABSENT_D)])
    # a: GT 2, pred 1, inter 1 -> 1/2; d: pred 1, GT 0 -> IoU 0, counted
    seen, unseen = (1 / 2 + 3 / 4) / 2, (2 / 3 + 0) / 2
    assert m['mIoU_seen'] == 62.5 and m['mIoU_unseen'] == 33.33
    assert m['hIoU'] == pytest.approx(43.48)  # 10 / 23
    assert m['hIoU'] == pytest.approx(
        round(2 * seen * unseen / (seen + unseen) * 100, 2))
    assert any("'d' (unseen; predicted: IoU 0, counted)" in msg
               for msg, _ in logged)


def test_every_unseen_class_absent_is_named(logged):
    meta = dict(classes=CLASSES, seen_classes=('a', 'b', 'c'),
                unseen_classes=('d', ))
    m = evaluate([sample(PRED_ABSENT_D, GT_ABSENT_D)], meta=meta)
    assert np.isnan(m['mIoU_unseen']) and m['hIoU'] == 0.0
    assert ('HIoUMetric: no unseen class is in the ground truth or the '
            'predictions, so mIoU_unseen is undefined (NaN) and hIoU is 0',
            logging.WARNING) in logged


def test_table_cells_and_note_helpers():
    nan = float('nan')
    assert percent_cells(np.array([0.5, nan, 1 / 3])) == [
        50.0, 'absent', 33.33
    ]
    assert absent_note(('a', 'b'), ('seen', 'unseen'), np.array([3, 4]),
                       np.array([0.5, 0.25])) is None
    note = absent_note(('a', 'b', 'c'), ('seen', 'unseen', '-'),
                       np.array([0, 4, 0]), np.array([0.0, 0.25, nan]))
    assert note == (
        'HIoUMetric: 2 of 3 classes have no ground-truth pixels in the '
        "evaluated images: 'a' (seen; predicted: IoU 0, counted), 'c' (-; "
        'not predicted either: left out of the means)')


def test_harmonic_mean_edge_cases():
    assert harmonic_mean(0.0, 0.0) == 0.0
    assert harmonic_mean(float('nan'), 0.5) == 0.0
    assert harmonic_mean(0.6, 0.3) == pytest.approx(0.4)


def test_unknown_split_name_raises():
    with pytest.raises(ValueError, match='zebra'):
        evaluate([sample(PRED1, GT1)], unseen_classes=('zebra', ))


def test_checkpoint_hook_accepts_hiou():
    m = evaluate([sample(PRED1, GT1)])
    hook = CheckpointHook(interval=1, save_best='hIoU', rule='greater')
    assert hook.key_indicators == ['hIoU']
    assert 'hIoU' in m and isinstance(m['hIoU'], float)


RANK_SAMPLES = [
    sample(PRED1, GT1),
    sample(PRED2, GT2),
    sample([[0, 1, 1, 2]], [[0, 0, 1, 1]]),
    sample([[3, 3, 2, 2]], [[3, 2, 2, 2]]),
]


def _worker(rank: int, port: int, queue) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=2)
    metric = HIoUMetric()
    metric.dataset_meta = META
    # a DistributedSampler-like rank split: even / odd indices
    for s in RANK_SAMPLES[rank::2]:
        metric.process({}, [s])
    result = metric.evaluate(len(RANK_SAMPLES))
    queue.put((rank, result))
    dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_distributed_gloo_matches_single_process():
    single = evaluate(RANK_SAMPLES)
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    mp.start_processes(_worker, args=(_free_port(), queue), nprocs=2,
                       start_method='spawn')
    results = dict(queue.get(timeout=60) for _ in range(2))
    for rank in (0, 1):
        assert results[rank].keys() == single.keys()
        for key, value in single.items():
            got = results[rank][key]
            assert got == value or (np.isnan(got) and np.isnan(value)), key
    # Summed over the four samples (hand-computed): intersections a 3+1,
    # b 2+1, c 0+2, d 1; unions a 4+2, b 4+3, c 1+1+3, d 2.
    seen, unseen = (4 / 6 + 3 / 7) / 2, (2 / 5 + 1 / 2) / 2
    assert single['mIoU_seen'] == pytest.approx(round(seen * 100, 2))
    assert single['mIoU_unseen'] == pytest.approx(round(unseen * 100, 2))
    assert single['hIoU'] == pytest.approx(
        round(2 * seen * unseen / (seen + unseen) * 100, 2))
    assert single['mIoU'] == pytest.approx(
        round((4 / 6 + 3 / 7 + 2 / 5 + 1 / 2) / 4 * 100, 2))


# GT / prediction for the options below. Areas (inter, union, pred, label):
# a (1, 2, 1, 2), b absent (0, 0, 0, 0), c (1, 2, 1, 2), d (0, 2, 2, 0).
GT3 = [[0, 0, 2, 2]]
PRED3 = [[0, 3, 2, 3]]


def test_dice_through_mmseg_total_area_to_metrics():
    m = evaluate([sample(PRED3, GT3)], iou_metrics=['mDice'])
    # Dice = 2 * inter / (pred + label): a 2/3, c 2/3, d 0, b NaN
    assert m['mDice_seen'] == pytest.approx(66.67)
    assert m['mDice_unseen'] == pytest.approx(33.33)
    assert m['hDice'] == pytest.approx(44.44)  # 2 * 2/3 * 1/3 / 1
    assert 'mIoU' not in m and 'hIoU' not in m


@pytest.mark.parametrize('beta,expected', [(1, 66.67), (2, 55.56)])
def test_fscore_uses_beta(beta, expected):
    m = evaluate([sample(PRED3, GT3)], iou_metrics=['mIoU', 'mFscore'],
                 beta=beta)
    # precision a 1, c 1, d 0; recall a 1/2, c 1/2, d NaN;
    # F = (1 + b^2) P R / (b^2 P + R): 2/3 for b = 1, 5/9 for b = 2
    assert m['mFscore_seen'] == pytest.approx(expected)
    assert m['hFscore'] == pytest.approx(expected)
    assert m['mPrecision_unseen'] == 50.0 and m['mRecall_unseen'] == 50.0
    assert m['hIoU'] == pytest.approx(33.33)


def test_nan_to_num_counts_absent_classes():
    m = evaluate([sample(PRED3, GT3)], nan_to_num=0)
    # b's IoU NaN -> 0: seen (1/2 + 0) / 2, unseen (1/2 + 0) / 2
    assert (m['mIoU_seen'], m['mIoU_unseen'], m['hIoU']) == (25.0, 25.0,
                                                              25.0)
    assert m['aAcc'] == 50.0


@pytest.mark.parametrize('iou_metrics', [['mAP'], []])
def test_unknown_iou_metrics_refused_at_construction(iou_metrics):
    with pytest.raises(ValueError, match='HIoUMetric: iou_metrics'):
        HIoUMetric(iou_metrics=iou_metrics)


def test_absent_classes_are_reported(monkeypatch):
    logged = []
    monkeypatch.setattr('mmzs3.evaluation.metrics.hiou_metric.print_log',
                        lambda msg, *a, **k: logged.append(msg))
    evaluate([sample(PRED1, GT1)])
    assert any("'d' (unseen; not predicted either: left out of the means)"
               in line for line in logged)
