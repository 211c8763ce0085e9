#!/usr/bin/env bash
# Quickstart model on the embedded synthetic data -> int8 PQAT .tflite in export/, validated.
# Usage: bash export/recipes/quickstart_int8.sh [RUN_DIR]   (about 15 minutes on 2 CPU cores)
set -euo pipefail
RUN=${1:-runs/quickstart}
posenet-mobile train --config quickstart --out "$RUN"
posenet-mobile compress --run "$RUN"
posenet-mobile export --run "$RUN" --format float32 --weights float --out export/quickstart_float32.tflite
posenet-mobile export --run "$RUN" --format int8 --out export/quickstart_int8.tflite
posenet-mobile validate --model export/quickstart_int8.tflite --data "$RUN/data/synthetic_val_s1" \
  --reference "$RUN" --report export/quickstart_int8.validate.json --html export/quickstart_int8.validate.html
