"""Data: the synthetic people generator, the COCO reader, augmentation and the tf.data pipeline."""
