package com.posenetmobile.sample.ml

import android.content.Context
import com.posenetmobile.posecore.ModelMetadata
import com.posenetmobile.posecore.PoseModelException
import java.io.FileInputStream
import java.io.IOException
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel

/** An exported model and its sidecar from the app's assets, checked to belong together. */
class ModelFiles(context: Context, asset: String) {
    val meta: ModelMetadata
    val model: MappedByteBuffer

    init {
        val json = try {
            context.assets.open("$asset.json").bufferedReader().use { it.readText() }
        } catch (e: IOException) {
            throw PoseModelException("assets/$asset.json missing: copy the sidecar written by posenet-mobile export (gradle :app:copyModel -Pmodel=...)")
        }
        meta = ModelMetadata.parse(json)
        model = try {
            context.assets.openFd(asset).use { fd ->
                FileInputStream(fd.fileDescriptor).channel.use { ch ->
                    ch.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
                }
            }
        } catch (e: IOException) {
            throw PoseModelException("assets/$asset missing: export a model and copy it (see android_sample/README.md)")
        }
        if (meta.matchesModel(model) == false) {
            throw PoseModelException("assets/$asset.json was written for another model file (sha256 differs): copy the .tflite and its sidecar together")
        }
    }
}
