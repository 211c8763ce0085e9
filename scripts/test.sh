#!/usr/bin/env bash
# make test's suite: pytest on $WORKERS processes, and beside it posecore's JUnit tests
# (scripts/java_tests.sh: tiny models trained and exported for golden vectors, then javac and
# JUnit), whose mostly single-threaded work fills the cores pytest leaves idle. Fails when either
# fails; the Java log is printed after pytest's.
set -uo pipefail
PY=${PY:-.venv/bin/python}
WORKERS=${WORKERS:-2}
BUILD=${BUILD:-build}
mkdir -p "$BUILD"
log="$BUILD/java_tests.log"
PY="$PY" BUILD="$BUILD" bash scripts/java_tests.sh > "$log" 2>&1 &
java=$!
# a stopped make test stops the Java side too
trap 'kill "$java" 2>/dev/null' INT TERM
"$PY" -m pytest -n "$WORKERS" --dist loadfile "$@"
py=$?
wait "$java"
jv=$?
echo "---- posecore (scripts/java_tests.sh, log $log) ----"
grep -v -E "^(WARNING|INFO|W0000|I0000)|tf.function retracing|oneDNN" "$log"
if [ "$jv" -ne 0 ]; then
  echo "posecore JUnit tests failed (exit $jv); full log: $log" >&2
fi
[ "$py" -eq 0 ] && [ "$jv" -eq 0 ]
