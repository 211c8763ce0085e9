"""The learning-rate schedule of training and of the compression fine-tunes: linear warm-up, then
cosine decay (one definition; :mod:`posenet_mobile.train.trainer` and
:mod:`posenet_mobile.compress.chain` both use it)."""

from __future__ import annotations

import math


def warmup_cosine():
    """The ``WarmupCosine`` schedule class (built on first use, so importing this module does not
    import TensorFlow): ``WarmupCosine(peak, warmup, total, floor)``."""
    from ..keras import keras, tf

    class WarmupCosine(keras.optimizers.schedules.LearningRateSchedule):
        """Linear warm-up to ``peak`` over ``warmup`` steps, then cosine decay to ``peak * floor``."""

        def __init__(self, peak, warmup, total, floor=0.02):
            self.peak, self.warmup, self.total, self.floor = (
                float(peak),
                int(warmup),
                int(total),
                float(floor),
            )

        def __call__(self, step):
            step = tf.cast(step, tf.float32)
            warm = self.peak * (step + 1.0) / max(self.warmup, 1)
            prog = tf.clip_by_value(
                (step - self.warmup) / max(self.total - self.warmup, 1), 0.0, 1.0
            )
            cos = self.peak * (self.floor + (1 - self.floor) * 0.5 * (1 + tf.cos(math.pi * prog)))
            return tf.where(step < self.warmup, warm, cos)

        def get_config(self):
            return {
                "peak": self.peak,
                "warmup": self.warmup,
                "total": self.total,
                "floor": self.floor,
            }

    return WarmupCosine


__all__ = ["warmup_cosine"]
