package com.posenetmobile.sample.ml

import android.content.Context
import com.posenetmobile.posecore.Crop
import com.posenetmobile.posecore.DetectionDecoder
import com.posenetmobile.posecore.DetectorMetadata
import com.posenetmobile.posecore.PoseDecoder
import com.posenetmobile.posecore.PoseModelException
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * The person detector (BlazePose's first stage), run on the first frame and whenever the pose is
 * lost: the whole frame letterboxed in, the best person's alignment and box out, in frame pixels.
 * Decoding is posecore's [DetectionDecoder], golden-tested against the Python harness. Runs on the
 * CPU (XNNPACK): it runs rarely, and its int8 file is what the harness validates.
 */
class LiteRtPersonDetector(
    context: Context,
    threads: Int,
    asset: String = ASSET,
) : AutoCloseable {
    private val files = DetectorFiles(context, asset)
    val meta: DetectorMetadata = files.meta
    private val interpreter: Interpreter
    private val input: ByteBuffer
    private val pixels = IntArray(meta.inputWidth * meta.inputHeight)
    private val heatBytes: ByteBuffer
    private val geoBytes: ByteBuffer
    private val heatRaw: ByteArray
    private val geoRaw: ByteArray
    private val heat: FloatArray
    private val geo: FloatArray
    private val outputs = HashMap<Int, Any>()
    /** The last call's interpreter time. */
    var inferenceMs = 0.0
        private set

    init {
        interpreter = try {
            Interpreter(files.model, Interpreter.Options().setNumThreads(threads))
        } catch (e: IllegalArgumentException) {
            throw PoseModelException("assets/$asset: the interpreter cannot load it (${e.message})")
        }
        val t = interpreter.getInputTensor(0)
        val shape = t.shape()
        if (t.dataType() != DataType.UINT8 || shape[1] != meta.inputHeight || shape[2] != meta.inputWidth) {
            interpreter.close()
            throw PoseModelException("assets/$asset: input ${t.dataType()} ${shape.contentToString()} does not match its metadata")
        }
        input = ByteBuffer.allocateDirect(t.numBytes()).order(ByteOrder.nativeOrder())
        fun buffer(o: com.posenetmobile.posecore.ModelMetadata.Output): ByteBuffer {
            val i = (0 until interpreter.outputTensorCount).first { interpreter.getOutputTensor(it).index() == o.index }
            return ByteBuffer.allocateDirect(interpreter.getOutputTensor(i).numBytes()).order(ByteOrder.nativeOrder())
                .also { outputs[i] = it }
        }
        heatBytes = buffer(meta.heatmap)
        geoBytes = buffer(meta.geometry)
        heatRaw = ByteArray(heatBytes.capacity())
        geoRaw = ByteArray(geoBytes.capacity())
        heat = FloatArray(heatRaw.size)
        geo = FloatArray(geoRaw.size)
    }

    /** The best person in a frame ([frame]: ARGB pixels, row-major), in frame pixels, or null. */
    fun detect(frame: IntArray, frameWidth: Int, frameHeight: Int): DetectionDecoder.Detection? {
        val crop = Crop.letterbox(frameHeight, frameWidth, meta.inputHeight, meta.inputWidth)
        crop.warp(frame, frameWidth, frameHeight, meta.inputHeight, meta.inputWidth, pixels)
        input.rewind()
        for (p in pixels) {
            input.put(((p shr 16) and 0xff).toByte()); input.put(((p shr 8) and 0xff).toByte()); input.put((p and 0xff).toByte())
        }
        input.rewind()
        heatBytes.rewind()
        geoBytes.rewind()
        val t0 = System.nanoTime()
        interpreter.runForMultipleInputsOutputs(arrayOf<Any>(input), outputs)
        inferenceMs = (System.nanoTime() - t0) / 1e6
        heatBytes.rewind()
        heatBytes.get(heatRaw)
        geoBytes.rewind()
        geoBytes.get(geoRaw)
        PoseDecoder.dequantize(meta.heatmap, heatRaw, heat)
        PoseDecoder.dequantize(meta.geometry, geoRaw, geo)
        val grid = meta.grid()
        val found = DetectionDecoder.decode(heat, geo, grid[0], grid[1], meta.stride, meta.threshold, 1)
        return found.firstOrNull()?.let { DetectionDecoder.toFrame(it, crop, meta.inputHeight, meta.inputWidth) }
    }

    override fun close() = interpreter.close()

    companion object {
        /** Where `gradle :app:copyDetector` puts the detector; the app runs without one. */
        const val ASSET = "person_detector.tflite"
    }
}
