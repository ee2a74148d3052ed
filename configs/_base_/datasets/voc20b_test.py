# PASCAL VOC-20 with 'background' as a 21st class (mmseg PascalVOCDataset),
# test only. Cross-dataset vocabulary: all 21 classes count as seen; hIoU
# is 0.
_base_ = './zs_test_base.py'
test_dataloader = dict(
    dataset=dict(
        class_split='voc_20_background',
        dataset=dict(
            type='PascalVOCDataset',
            data_root='data/VOCdevkit/VOC2012',
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
            ann_file='ImageSets/Segmentation/val.txt')))
