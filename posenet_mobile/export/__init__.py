"""TFLite conversion, model metadata, and the export of a run directory."""
