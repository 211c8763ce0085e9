package com.posenetmobile.sample

import android.content.Context
import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Matrix
import android.graphics.Paint
import com.posenetmobile.posecore.Crop
import com.posenetmobile.posecore.Keypoints
import com.posenetmobile.posecore.ModelMetadata
import com.posenetmobile.posecore.OneEuroFilter
import com.posenetmobile.posecore.PoseDecoder
import com.posenetmobile.posecore.PoseModelException
import com.posenetmobile.posecore.RoiTracker
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.gpu.GpuDelegate
import java.io.FileInputStream
import java.nio.ByteBuffer
import java.nio.ByteOrder
import java.nio.MappedByteBuffer
import java.nio.channels.FileChannel

/**
 * Runs the exported model on camera frames with the LiteRT Interpreter API. All maths (crop,
 * dequantisation, decoding, smoothing, ROI tracking) is posecore's, the same code the JVM tests
 * check against the Python harness's golden vectors.
 */
class PoseEstimator(context: Context, useGpu: Boolean, threads: Int, modelAsset: String = "pose_model.tflite") : AutoCloseable {
    val meta: ModelMetadata
    private val interpreter: Interpreter
    private val gpu: GpuDelegate?
    private val input: ByteBuffer
    private val outputs = HashMap<Int, ByteBuffer>()
    private val inputBitmap: Bitmap
    private val paint = Paint(Paint.FILTER_BITMAP_FLAG)
    // the video settings travel with the model (metadata "tracking"), so the app and
    // posenet-mobile predict follow a person the same way
    private val smoother: OneEuroFilter
    private val tracker: RoiTracker
    var lastInferenceMs = 0.0
        private set

    init {
        val json = try {
            context.assets.open("$modelAsset.json").bufferedReader().use { it.readText() }
        } catch (e: java.io.IOException) {
            throw PoseModelException("assets/$modelAsset.json missing: copy the sidecar written by posenet-mobile export (./gradlew :app:copyModel -Pmodel=...)")
        }
        meta = ModelMetadata.parse(json)
        smoother = OneEuroFilter(meta.smoothMinCutoff, meta.smoothBeta, meta.smoothDCutoff)
        tracker = RoiTracker(meta.roiMinScore, meta.roiMinKeypoints)
        val options = Interpreter.Options().setNumThreads(threads)
        gpu = if (useGpu) GpuDelegate() else null
        gpu?.let { options.addDelegate(it) }
        val modelBuffer = loadModel(context, modelAsset)
        if (meta.matchesModel(modelBuffer) == false) {
            throw PoseModelException("assets/$modelAsset.json was written for another model file (sha256 differs): copy the .tflite and its sidecar together")
        }
        interpreter = try {
            Interpreter(modelBuffer, options)
        } catch (e: IllegalArgumentException) {
            throw PoseModelException("assets/$modelAsset: the interpreter cannot load it (${e.message})")
        }
        val t = interpreter.getInputTensor(0)
        val expected = if (meta.inputDtype == "uint8") DataType.UINT8 else DataType.FLOAT32
        if (t.dataType() != expected) {
            throw PoseModelException("model input is ${t.dataType()}, metadata says ${meta.inputDtype}: re-export the model")
        }
        val shape = t.shape()
        if (shape[1] != meta.inputHeight || shape[2] != meta.inputWidth || shape[3] != 3) {
            throw PoseModelException("model input shape ${shape.contentToString()} does not match the metadata")
        }
        input = ByteBuffer.allocateDirect(t.numBytes()).order(ByteOrder.nativeOrder())
        for (o in meta.outputs) {
            val idx = (0 until interpreter.outputTensorCount).first { interpreter.getOutputTensor(it).index() == o.index }
            outputs[idx] = ByteBuffer.allocateDirect(interpreter.getOutputTensor(idx).numBytes()).order(ByteOrder.nativeOrder())
        }
        inputBitmap = Bitmap.createBitmap(meta.inputWidth, meta.inputHeight, Bitmap.Config.ARGB_8888)
    }

    private fun loadModel(context: Context, name: String): MappedByteBuffer {
        try {
            context.assets.openFd(name).use { fd ->
                FileInputStream(fd.fileDescriptor).channel.use { ch ->
                    return ch.map(FileChannel.MapMode.READ_ONLY, fd.startOffset, fd.declaredLength)
                }
            }
        } catch (e: java.io.IOException) {
            throw PoseModelException("assets/$name missing: export a model and copy it (see android_sample/README.md)")
        }
    }

    /** Keypoints in frame pixels for an upright RGB frame; uses and updates the ROI tracker. */
    fun estimate(frame: Bitmap, timeSeconds: Double): Keypoints {
        val box = tracker.box()
        val crop = if (box != null) {
            Crop.fromBox(box[0], box[1], box[2], box[3], meta.inputHeight, meta.inputWidth, meta.cropPadding)
        } else {
            Crop.letterbox(frame.height, frame.width, meta.inputHeight, meta.inputWidth)
        }
        val m = crop.matrix(meta.inputHeight, meta.inputWidth)
        val matrix = Matrix().apply {
            setValues(floatArrayOf(m[0].toFloat(), m[1].toFloat(), m[2].toFloat(), m[3].toFloat(), m[4].toFloat(), m[5].toFloat(), 0f, 0f, 1f))
        }
        Canvas(inputBitmap).apply { drawColor(Color.BLACK); drawBitmap(frame, matrix, paint) }
        fillInput()
        val t0 = System.nanoTime()
        outputs.values.forEach { it.rewind() }
        interpreter.runForMultipleInputsOutputs(arrayOf<Any>(input), outputs as Map<Int, Any>)
        lastInferenceMs = (System.nanoTime() - t0) / 1e6
        val raw = HashMap<String, Any>()
        for ((idx, buf) in outputs) {
            val tensor = interpreter.getOutputTensor(idx)
            val out = meta.outputs.first { it.index == tensor.index() }
            buf.rewind()
            raw[out.name] = when (tensor.dataType()) {
                DataType.FLOAT32 -> FloatArray(buf.remaining() / 4).also { buf.asFloatBuffer().get(it) }
                else -> ByteArray(buf.remaining()).also { buf.get(it) }
            }
        }
        val kp = PoseDecoder.decode(meta, raw).toImage(crop, meta.inputHeight, meta.inputWidth)
        val xy = DoubleArray(2 * kp.size()) { if (it < kp.size()) kp.x[it] else kp.y[it - kp.size()] }
        val smooth = smoother.filter(xy, timeSeconds)
        for (k in 0 until kp.size()) {
            kp.x[k] = smooth[k]
            kp.y[k] = smooth[k + kp.size()]
        }
        if (tracker.update(kp) == null) smoother.reset()
        return kp
    }

    private fun fillInput() {
        val px = IntArray(meta.inputWidth * meta.inputHeight)
        inputBitmap.getPixels(px, 0, meta.inputWidth, 0, 0, meta.inputWidth, meta.inputHeight)
        input.rewind()
        val uint8 = meta.inputDtype == "uint8"
        for (p in px) {
            val r = (p shr 16) and 0xff
            val g = (p shr 8) and 0xff
            val b = p and 0xff
            if (uint8) {
                input.put(r.toByte()); input.put(g.toByte()); input.put(b.toByte())
            } else { // float models take pixel values 0..255; normalisation is inside the model
                input.putFloat(r.toFloat()); input.putFloat(g.toFloat()); input.putFloat(b.toFloat())
            }
        }
        input.rewind()
    }

    override fun close() {
        interpreter.close()
        gpu?.close()
    }
}
