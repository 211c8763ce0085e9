// Plain Java: no Android dependency, so the maths is tested on the JVM (CI runs the same tests
// with javac + JUnit 4 from scripts/java_tests.sh; Gradle users run ./gradlew :posecore:test).
plugins {
    `java-library`
}

java {
    sourceCompatibility = JavaVersion.VERSION_17
    targetCompatibility = JavaVersion.VERSION_17
}

dependencies {
    testImplementation("junit:junit:4.13.2")
}

tasks.test {
    // Golden vectors: posenet-mobile golden --model FILE.tflite --out ../build/golden
    systemProperty("golden.dir", project.findProperty("goldenDir") ?: "${rootDir}/../build/golden")
}
