# Copyright (c) mmzs3 contributors. All rights reserved.
"""ADE20K-Full-847 with ZegFormer's frequency split (572 / 275).

The table is the data file ``ade20k_full_847.tsv`` beside this module,
written from the split of the official code
(docs/official_implementation.md): a header, then one row per class,
``name<TAB>ade_object_id<TAB>image_count<TAB>split``. The position of a
row is its 847-way label index (= MaskFormer's trainId).
"""
import os.path as osp
from typing import Tuple

TABLE_FILE = osp.join(osp.dirname(osp.abspath(__file__)),
                      'ade20k_full_847.tsv')


def read_ade847_table(path: str = TABLE_FILE
                      ) -> Tuple[Tuple[str, int, int, str], ...]:
    """Read the ADE20K-Full-847 table.

    Args:
        path (str): The TSV file. Defaults to the packaged one.

    Returns:
        tuple[tuple[str, int, int, str]]: ``(name, ade_object_id,
        image_count, split)`` per class, in label-index order.
    """
    with open(path, encoding='utf-8') as f:
        lines = f.read().splitlines()[1:]
    rows = (line.split('\t') for line in lines)
    return tuple(
        (name, int(object_id), int(count), split)
        for name, object_id, count, split in rows)


ADE20K_FULL_847_TABLE = read_ade847_table()
