"""posenet_mobile: real-time single-person 2D pose estimation, from data to a shipped TFLite model.

Importing the package is cheap: TensorFlow is loaded only by the modules that need it, and
always through :mod:`posenet_mobile.keras`, which pins Keras 2 (tf_keras).
"""

__version__ = "0.1.0"
