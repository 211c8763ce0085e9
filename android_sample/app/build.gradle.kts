plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "com.posenetmobile.sample"
    compileSdk = 35

    defaultConfig {
        applicationId = "com.posenetmobile.sample"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1"
    }
    buildTypes {
        release {
            isMinifyEnabled = false
        }
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions {
        jvmTarget = "17"
    }
    androidResources {
        noCompress += "tflite" // the interpreter memory-maps the model from assets
    }
}

// Copies an exported model and its sidecar JSON into the assets:
//   ./gradlew :app:copyModel -Pmodel=/path/to/posenet_int8.tflite
tasks.register<Copy>("copyModel") {
    val model = project.findProperty("model") as String?
        ?: throw GradleException("pass -Pmodel=/path/to/FILE.tflite (exported by posenet-mobile export)")
    from(model, "$model.json")
    into("src/main/assets")
    rename { name -> if (name.endsWith(".json")) "pose_model.tflite.json" else "pose_model.tflite" }
}

// The optional person detector (BlazePose's first stage: the first frame and when the pose is lost):
//   ./gradlew :app:copyDetector -Pdetector=/path/to/detector_int8.tflite
tasks.register<Copy>("copyDetector") {
    val detector = project.findProperty("detector") as String?
        ?: throw GradleException("pass -Pdetector=/path/to/FILE.tflite (exported by benchmarks/detector.py)")
    from(detector, "$detector.json")
    into("src/main/assets")
    rename { name -> if (name.endsWith(".json")) "person_detector.tflite.json" else "person_detector.tflite" }
}

dependencies {
    implementation(project(":posecore"))
    implementation("androidx.core:core-ktx:1.15.0")
    implementation("androidx.appcompat:appcompat:1.7.0")
    implementation("androidx.camera:camera-camera2:1.4.1")
    implementation("androidx.camera:camera-lifecycle:1.4.1")
    implementation("androidx.camera:camera-view:1.4.1")
    implementation("com.google.ai.edge.litert:litert:1.4.0")
    implementation("com.google.ai.edge.litert:litert-gpu:1.4.0")
    implementation("com.google.ai.edge.litert:litert-gpu-api:1.4.0")
}
