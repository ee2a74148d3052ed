# Copyright (c) mmzs3 contributors. All rights reserved.
"""Every packaged split against the reference TSVs and the spec."""
import csv
import os.path as osp

import pytest
from mmseg.datasets import (ADE20KDataset, PascalContextDataset59,
                            PascalVOCDataset)

from mmzs3.datasets import get_split
from mmzs3.datasets.splits import (ADE20K_FULL_847_TABLE, COCO_STUFF_171_TABLE,
                                   SPLITS)

# Copies of shared/reference's split TSVs, shipped so that CI checks them.
REF = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data',
               'splits')
COCO_TSV = osp.join(REF, 'zegformer_cocostuff171_split.tsv')
ADE_TSV = osp.join(REF, 'zegformer_ade847_freq_split.tsv')
COCO_UNSEEN = ('cow', 'giraffe', 'suitcase', 'frisbee', 'skateboard',
               'carrot', 'scissors', 'cardboard', 'clouds', 'grass',
               'playingfield', 'river', 'road', 'tree', 'wall-concrete')
COCO_UNUSED_PNG_IDS = {11, 25, 28, 29, 44, 65, 67, 68, 70, 82, 90}


def read_tsv(path):
    with open(path, encoding='utf-8') as f:
        rows = list(csv.reader(f, delimiter='\t'))
    return rows[1:]


def test_coco_stuff_171_matches_reference_tsv():
    rows = read_tsv(COCO_TSV)
    split = get_split('coco_stuff_171')
    assert [int(r[0]) for r in rows] == list(range(171))
    assert split.classes == tuple(r[1] for r in rows)
    assert split.seen_classes == tuple(r[1] for r in rows if r[4] == 'seen')
    assert split.unseen_classes == tuple(r[1] for r in rows
                                         if r[4] == 'unseen')
    assert [t[1] for t in COCO_STUFF_171_TABLE] == [int(r[2]) for r in rows]


def test_ade847_matches_reference_tsv():
    rows = read_tsv(ADE_TSV)
    split = get_split('ade20k_full_847')
    assert [int(r[0]) for r in rows] == list(range(847))
    assert split.classes == tuple(r[1] for r in rows)
    assert split.seen_classes == tuple(r[1] for r in rows if r[5] == 'seen')
    assert split.unseen_classes == tuple(r[1] for r in rows
                                         if r[5] == 'unseen')
    # the 572-way train index is the rank among seen classes
    seen_rows = [r for r in rows if r[5] == 'seen']
    assert [int(r[6]) for r in seen_rows] == list(range(572))
    assert [(t[1], t[2]) for t in ADE20K_FULL_847_TABLE] == [
        (int(r[2]), int(r[3])) for r in rows
    ]


def test_packaged_coco_split_against_spec():
    split = get_split('coco_stuff_171')
    assert (len(split.classes), len(split.seen_classes),
            len(split.unseen_classes)) == (171, 156, 15)
    assert split.classes == split.seen_classes + split.unseen_classes
    assert split.unseen_classes == COCO_UNSEEN
    png_ids = [t[1] for t in COCO_STUFF_171_TABLE]
    assert set(png_ids) == set(range(182)) - COCO_UNUSED_PNG_IDS
    # seen then unseen, each in COCO (PNG id) order
    assert png_ids[:156] == sorted(png_ids[:156])
    assert png_ids[156:] == sorted(png_ids[156:])
    assert split.classes[:3] == ('person', 'bicycle', 'car')


def test_packaged_ade847_split_against_spec():
    split = get_split('ade20k_full_847')
    assert (len(split.classes), len(split.seen_classes),
            len(split.unseen_classes)) == (847, 572, 275)
    assert len(set(split.classes)) == 847
    counts = {t[0]: t[2] for t in ADE20K_FULL_847_TABLE}
    assert all(counts[n] > 10 for n in split.seen_classes)
    assert all(1 <= counts[n] <= 10 for n in split.unseen_classes)
    assert split.unseen_classes[:2] == ('catwalk', 'inflatable bounce game')
    assert split.classes[846] == 'adding machine, totalizer, totaliser'


def test_voc_20_split():
    split = get_split('voc_20')
    assert split.seen_classes == ('aeroplane', 'bicycle', 'bird', 'boat',
                                  'bottle', 'bus', 'car', 'cat', 'chair',
                                  'cow', 'diningtable', 'dog', 'horse',
                                  'motorbike', 'person')
    assert split.unseen_classes == ('potted plant', 'sheep', 'sofa', 'train',
                                    'tvmonitor')
    assert 'background' not in split.classes
    with_bg = get_split('voc_20_background')
    assert with_bg.classes == PascalVOCDataset.METAINFO['classes']
    assert len(with_bg.classes) == 21 and with_bg.classes[0] == 'background'
    assert len(get_split('voc_20_open').classes) == 20


def test_cross_dataset_vocabularies():
    ade = get_split('ade20k_150')
    assert ade.classes == ADE20KDataset.METAINFO['classes']
    assert len(ade.classes) == 150 and ade.unseen_classes == ()
    pc = get_split('pascal_context_59')
    assert pc.classes == PascalContextDataset59.METAINFO['classes']
    assert len(pc.classes) == 59
    for split in SPLITS.values():
        assert set(split.seen_classes).isdisjoint(split.unseen_classes)
        assert set(split.seen_classes) | set(split.unseen_classes) == set(
            split.classes)


def test_unknown_split_raises_with_names():
    with pytest.raises(KeyError, match='459'):
        get_split('pascal_context_459')
