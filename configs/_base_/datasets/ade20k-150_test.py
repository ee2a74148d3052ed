# ADE20K-150 (mmseg ADE20KDataset, reduce_zero_label=True), test only.
# Cross-dataset vocabulary: all 150 classes count as seen; hIoU is 0.
_base_ = './zs_test_base.py'
test_dataloader = dict(
    dataset=dict(
        class_split='ade20k_150',
        dataset=dict(
            type='ADE20KDataset',
            data_root='data/ade/ADEChallengeData2016',
            data_prefix=dict(
                img_path='images/validation',
                seg_map_path='annotations/validation'))))
