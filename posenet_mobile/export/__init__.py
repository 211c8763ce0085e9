"""TFLite conversion and the export of a run directory (the metadata document is posenet_mobile.metadata)."""
