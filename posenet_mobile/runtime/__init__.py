"""On-device pipeline replayed in Python: LiteRT runner, crops, decoding, tracking."""
