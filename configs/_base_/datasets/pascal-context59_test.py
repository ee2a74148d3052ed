# PASCAL Context-59 (mmseg PascalContextDataset59), test only.
# Cross-dataset vocabulary: all 59 classes count as seen; hIoU is 0.
_base_ = './zs_test_base.py'
test_dataloader = dict(
    dataset=dict(
        class_split='pascal_context_59',
        dataset=dict(
            type='PascalContextDataset59',
            data_root='data/VOCdevkit/VOC2010/',
            data_prefix=dict(
                img_path='JPEGImages',
                seg_map_path='SegmentationClassContext'),
            ann_file='ImageSets/SegmentationContext/val.txt')))
