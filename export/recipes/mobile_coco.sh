#!/usr/bin/env bash
# The recommended phone model on COCO 2017 person keypoints (bring the dataset; GPUs advised).
# Usage: bash export/recipes/mobile_coco.sh COCO_DIR [RUN_DIR]
set -euo pipefail
COCO=$1
RUN=${2:-runs/mobile_coco}
posenet-mobile train --config mobile --strategy auto --out "$RUN" \
  --train-data "$COCO/annotations/person_keypoints_train2017.json" \
  --val-data "$COCO/annotations/person_keypoints_val2017.json"
posenet-mobile compress --run "$RUN"
posenet-mobile export --run "$RUN" --format int8 --out export/mobile_int8.tflite
posenet-mobile export --run "$RUN" --format float16 --out export/mobile_float16.tflite
posenet-mobile validate --model export/mobile_int8.tflite --data "$COCO/annotations/person_keypoints_val2017.json" \
  --reference "$RUN" --report export/mobile_int8.validate.json --predictions export/mobile_int8.predictions.json
