#!/usr/bin/env bash
# posecore's JUnit tests against golden vectors generated now from tiny exported models.
# Needs javac and junit4 (scripts/sysdeps.sh installs openjdk-17-jdk-headless and junit4).
set -euo pipefail
PY=${PY:-.venv/bin/python}
BUILD=${BUILD:-build}
rm -rf "$BUILD/java" "$BUILD/golden/models" "$BUILD/golden"/*.golden.json
mkdir -p "$BUILD/java/main" "$BUILD/java/test"
echo "java tests: generating golden vectors (tiny heatmap, heatmap with facing, regression, simcc, simcc with facing and in-graph-decoded models)"
"$PY" scripts/make_golden.py "$BUILD/golden"
CP=/usr/share/java/junit4.jar:/usr/share/java/hamcrest-core.jar
javac -Xlint:all -Werror -d "$BUILD/java/main" $(find android_sample/posecore/src/main/java -name '*.java')
javac -d "$BUILD/java/test" -cp "$BUILD/java/main:$CP" $(find android_sample/posecore/src/test/java -name '*.java')
tests=$(cd android_sample/posecore/src/test/java && find . -name '*Test.java' | sed 's|^\./||; s|\.java$||; s|/|.|g')
java -Dgolden.dir="$BUILD/golden" -Dspec.dir=posenet_mobile/spec -Dgolden.require=heatmap_offset,heatmap_offset_sides,regression,simcc,simcc_sides,in_graph \
  -cp "$BUILD/java/main:$BUILD/java/test:$CP" org.junit.runner.JUnitCore $tests
