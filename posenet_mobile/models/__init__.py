"""Pose models: MobileNetV2 backbone, top-down decoder, heatmap / regression / integral heads."""

from ..contract import INFERENCE_OUTPUTS, TRAINING_OUTPUTS
from .build import build_model, inference_model, output_names, resized_model
from .profile import count_macs, profile

__all__ = [
    "build_model",
    "inference_model",
    "output_names",
    "resized_model",
    "count_macs",
    "profile",
    "TRAINING_OUTPUTS",
    "INFERENCE_OUTPUTS",
]
