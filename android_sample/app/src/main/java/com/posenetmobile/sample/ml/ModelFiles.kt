package com.posenetmobile.sample.ml

import android.content.Context
import com.posenetmobile.posecore.DetectorMetadata
import com.posenetmobile.posecore.ModelMetadata
import com.posenetmobile.posecore.PoseModelException
import java.io.FileInputStream
import java.io.IOException
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel

/** An exported pose model and its sidecar from the app's assets, checked to belong together. */
class ModelFiles(context: Context, asset: String) {
    val meta: ModelMetadata
    val model: MappedByteBuffer

    init {
        val (json, mapped) = readAsset(context, asset)
        meta = ModelMetadata.parse(json)
        model = mapped
        if (meta.matchesModel(model) == false) {
            throw PoseModelException("assets/$asset.json was written for another model file (sha256 differs): copy the .tflite and its sidecar together")
        }
    }
}

/** An exported person detector and its sidecar from the app's assets, checked to belong together. */
class DetectorFiles(context: Context, asset: String) {
    val meta: DetectorMetadata
    val model: MappedByteBuffer

    init {
        val (json, mapped) = readAsset(context, asset)
        meta = DetectorMetadata.parse(json)
        model = mapped
        if (meta.matchesModel(model) == false) {
            throw PoseModelException("assets/$asset.json was written for another detector file (sha256 differs): copy the .tflite and its sidecar together")
        }
    }
}

/** Whether the app's assets hold [asset] (an optional model, such as the person detector). */
fun hasAsset(context: Context, asset: String): Boolean = context.assets.list("")?.contains(asset) == true

/** The sidecar's text and the memory-mapped .tflite of [asset]. */
private fun readAsset(context: Context, asset: String): Pair<String, MappedByteBuffer> {
    val json = try {
        context.assets.open("$asset.json").bufferedReader().use { it.readText() }
    } catch (e: IOException) {
        throw PoseModelException("assets/$asset.json missing: copy the sidecar written by the export beside the .tflite (see android_sample/README.md)")
    }
    val model = try {
        context.assets.openFd(asset).use { fd ->
            FileInputStream(fd.fileDescriptor).channel.use { ch ->
                ch.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
            }
        }
    } catch (e: IOException) {
        throw PoseModelException("assets/$asset missing: export a model and copy it (see android_sample/README.md)")
    }
    return json to model
}
