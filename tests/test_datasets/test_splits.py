# Copyright (c) mmzs3 contributors. All rights reserved.
"""Every packaged split against the split TSVs and the official split
(docs/official_implementation.md)."""
import csv
import os.path as osp

import pytest
from mmseg.datasets import (ADE20KDataset, PascalContextDataset59,
                            PascalVOCDataset)

from mmzs3.datasets import get_split
from mmzs3.datasets.splits import (ADE20K_FULL_847_TABLE, COCO_STUFF_171_TABLE,
                                   SPLITS, checkpoint_vocabulary)

# Copies of shared/reference's split TSVs, shipped so that CI checks them.
REF = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data',
               'splits')
COCO_TSV = osp.join(REF, 'zegformer_cocostuff171_split.tsv')
ADE_TSV = osp.join(REF, 'zegformer_ade847_freq_split.tsv')
PC459_TSV = osp.join(REF, 'pascal_context459_classes.tsv')
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


def test_pascal_context_459_matches_reference_tsv():
    rows = read_tsv(PC459_TSV)
    plain = get_split('pascal_context_459')
    synonyms = get_split('pascal_context_459_synonyms')
    assert [int(r[0]) for r in rows] == list(range(459))
    assert [int(r[2]) for r in rows] == list(range(1, 460))  # source ids
    assert plain.classes == tuple(r[1] for r in rows)
    # the TSV joins synonyms with ',', the text encoder splits at ', '
    assert synonyms.classes == tuple(r[3].replace(',', ', ') for r in rows)
    for split in (plain, synonyms):
        assert len(split.classes) == len(set(split.classes)) == 459
        assert split.seen_classes == split.classes
        assert split.unseen_classes == ()


def test_pascal_context_459_known_labels():
    plain = get_split('pascal_context_459').classes
    synonyms = get_split('pascal_context_459_synonyms').classes
    # (label, plain name, synonym list) as in the release's labels.txt
    # (source id = label + 1) and the FC-CLIP / ODISE benchmark names
    for label, name, listed in (
            (0, 'accordion', 'accordion'),
            (1, 'aeroplane', 'aeroplane, aeroplanes, airplanes, airplane'),
            (8, 'bag', 'bag, bags'),
            (17, 'bed', 'bed, beds'),
            (458, 'wool', 'wool')):
        assert (plain[label], synonyms[label]) == (name, listed)
    assert plain.index('person') == 283
    assert synonyms[283].startswith('person, child, girl, boy')


def test_unknown_split_raises_with_names():
    with pytest.raises(KeyError, match='pascal_context_459'):
        get_split('pascal_context_460')


def test_split_dataset_meta_round_trips_through_checkpoint_vocabulary():
    coco = get_split('coco_stuff_171')
    meta = coco.dataset_meta()
    assert meta['class_split'] == 'coco_stuff_171'
    assert (len(meta['classes']), len(meta['seen_classes']),
            len(meta['unseen_classes'])) == (171, 156, 15)
    assert checkpoint_vocabulary(meta) == (coco.classes, coco.seen_classes)
    # a training set's metainfo: seen classes only, unseen names hidden
    # (zs_split: the key's name in older checkpoints)
    for key in ('class_split', 'zs_split'):
        train = {
            'classes': coco.seen_classes,
            'seen_classes': coco.seen_classes,
            'unseen_classes': (),
            key: 'coco_stuff_171'
        }
        assert checkpoint_vocabulary(train) == (coco.classes,
                                                coco.seen_classes)
    # no registered split: classes + unseen; without seen_classes, every
    # class that is not unseen was trained on
    assert checkpoint_vocabulary(
        dict(classes=('a', 'b'), unseen_classes=('c', ))) == (('a', 'b',
                                                                'c'),
                                                               ('a', 'b'))
    assert checkpoint_vocabulary(dict(classes=['a', 'b'])) == (('a', 'b'),
                                                               ('a', 'b'))
    assert checkpoint_vocabulary(
        dict(classes=['a', 'b'], seen_classes=[])) == (('a', 'b'), ())
    assert checkpoint_vocabulary(None) == (None, None)
    assert checkpoint_vocabulary(dict(palette=[[0, 0, 0]])) == (None, None)
