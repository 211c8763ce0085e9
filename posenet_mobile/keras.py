"""The one place that selects Keras 2 (tf_keras) and imports TensorFlow.

tensorflow-model-optimization 0.8.x only wraps Keras 2 models, so every module of the package
imports ``keras`` (and ``tf``) from here, never ``import keras`` or ``tf.keras`` directly.
``TF_USE_LEGACY_KERAS=1`` is set before TensorFlow is first imported, which also makes
``tf.keras`` resolve to tf_keras inside tfmot. If a user imported Keras 3 first, our models are
still tf_keras models, because we import ``tf_keras`` by name rather than through ``tf.keras``.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ["TF_USE_LEGACY_KERAS"] = "1"


def _import_tensorflow():
    """Import TF and tf_keras with the C++ start-up chatter (oneDNN, CUDA probes) kept off stderr.

    Set ``POSENET_MOBILE_TF_LOGS=1`` to see it. Python exceptions are unaffected.
    """
    fd = None
    if not os.environ.get("POSENET_MOBILE_TF_LOGS"):
        try:
            fd = sys.stderr.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
    if fd is None:
        import tensorflow as _tf
        import tf_keras as _keras

        return _tf, _keras
    sys.stderr.flush()
    saved, devnull = os.dup(fd), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    try:
        import tensorflow as _tf
        import tf_keras as _keras

        _tf.config.list_physical_devices()  # the CUDA probe logs here, once
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)
    return _tf, _keras


tf, keras = _import_tensorflow()

layers = keras.layers

__all__ = ["tf", "keras", "layers", "tfmot", "build_training_state"]


def tfmot():
    """Return the ``tensorflow_model_optimization`` module (imported lazily: it is slow)."""
    import tensorflow_model_optimization as _tfmot

    return _tfmot


def build_training_state(model) -> None:
    """Create a compiled model's optimizer slots and loss trackers before ``fit``.

    Keras creates them lazily, inside the first call of its train function. A ``tf.function``
    that creates variables on its first call is traced a second time, and a trace of a
    MobileNet's backward pass costs seconds of Python: creating them here first leaves one trace.
    Training is unchanged (the same variables, created earlier). Call it after ``compile`` and,
    under a distribution strategy, inside its scope.
    """
    opt = model.optimizer
    inner = getattr(opt, "inner_optimizer", opt)  # a LossScaleOptimizer under mixed precision
    inner.build(model.trainable_variables)
    outs = [tf.zeros([1] + list(o.shape[1:]), o.dtype) for o in model.outputs]
    model.compiled_loss.build(outs if len(outs) > 1 else outs[0])
