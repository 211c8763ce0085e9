package com.posenetmobile.sample.ml

import android.content.Context
import android.graphics.Bitmap
import com.posenetmobile.posecore.Crop
import com.posenetmobile.posecore.DetectionDecoder
import com.posenetmobile.posecore.Keypoints
import com.posenetmobile.posecore.ModelMetadata
import com.posenetmobile.posecore.OneEuroFilter
import com.posenetmobile.posecore.PoseDecoder
import com.posenetmobile.posecore.PoseModelException
import com.posenetmobile.posecore.RoiTracker
import com.posenetmobile.sample.data.Device
import com.posenetmobile.sample.data.Pose
import org.tensorflow.lite.DataType
import org.tensorflow.lite.Interpreter
import org.tensorflow.lite.gpu.GpuDelegate
import java.nio.ByteBuffer
import java.nio.ByteOrder

/**
 * [PoseDetector] on the LiteRT Interpreter API, with an optional [LiteRtPersonDetector] for the
 * first frame and after the pose is lost. All maths (crop, dequantisation, decoding, detection
 * decoding, smoothing, ROI tracking) is posecore's, the code the JVM tests check against the Python
 * harness's golden vectors. Every buffer a frame needs (input, outputs, dequantised maps, pixels,
 * the crop's bitmap and canvas) is allocated here, once.
 */
class LiteRtPoseDetector(
    context: Context,
    device: Device,
    threads: Int,
    modelAsset: String = "pose_model.tflite",
    /** Finds the person on the first frame and when the pose is lost; without it, the whole frame. */
    private val personDetector: LiteRtPersonDetector? = null,
    /**
     * Run every crop a second time mirrored and decode the mean (posecore's flip test, as
     * `posenet-mobile predict --flip-test`): two model runs per crop.
     */
    private val flipTest: Boolean = false,
) : PoseDetector {
    private val files = ModelFiles(context, modelAsset)
    val meta: ModelMetadata = files.meta
    private val gpu: GpuDelegate? = if (device == Device.GPU) GpuDelegate() else null
    private val interpreter: Interpreter
    private val uint8Input = meta.inputDtype == "uint8"
    private val input: ByteBuffer
    private val inputs: Array<Any>
    // the interpreter's output index -> buffer; the same buffers, in metadata order, below
    private val outputBuffers = HashMap<Int, Any>()
    private val outBytes: Array<ByteBuffer>
    private val outFloats: Array<java.nio.FloatBuffer?>
    private val outRaw: Array<Any>
    private val outMeta: Array<ModelMetadata.Output>
    // output name -> dequantised values, the map posecore decodes; float arrays pass through
    private val decoded = HashMap<String, Any>()
    // the same arrays in metadata order, and (flip test only) the mirrored run's raw and
    // dequantised outputs and posecore's scratch arrays
    private val outValues: Array<FloatArray>
    private val mirroredRaw: Array<Any>
    private val mirroredValues: Array<FloatArray>
    private val scratch: Array<FloatArray>
    private val pixels = IntArray(meta.inputWidth * meta.inputHeight)
    // the camera frame's pixels, sized once per camera resolution; posecore's Crop.warp makes the
    // input from them (golden-tested against the Python harness's OpenCV warp)
    private var framePixels = IntArray(0)
    private val xy = DoubleArray(2 * meta.numKeypoints())
    // the video settings travel with the model (metadata "tracking"), so the app and
    // posenet-mobile predict follow a person the same way
    private val smoother = OneEuroFilter(meta.smoothMinCutoff, meta.smoothBeta, meta.smoothDCutoff)
    // a model trained on aligned crops is followed with turned crops (BlazePose's tracking)
    private val tracker = RoiTracker(meta.roiMinScore, meta.roiMinKeypoints, if (meta.cropAligned) meta.bodyTorso else null)
    // the crop from a detection's first pose, one of the views a detection is posed in
    private val followTracker = RoiTracker(meta.roiMinScore, meta.roiMinKeypoints, if (meta.cropAligned) meta.bodyTorso else null)

    init {
        val options = Interpreter.Options().setNumThreads(threads)
        gpu?.let { options.addDelegate(it) }
        interpreter = try {
            Interpreter(files.model, options)
        } catch (e: IllegalArgumentException) {
            gpu?.close()
            throw PoseModelException("assets/$modelAsset: the interpreter cannot load it (${e.message})")
        }
        val t = interpreter.getInputTensor(0)
        val expected = if (uint8Input) DataType.UINT8 else DataType.FLOAT32
        if (t.dataType() != expected) {
            close()
            throw PoseModelException("model input is ${t.dataType()}, metadata says ${meta.inputDtype}: re-export the model")
        }
        val shape = t.shape()
        if (shape[1] != meta.inputHeight || shape[2] != meta.inputWidth || shape[3] != 3) {
            close()
            throw PoseModelException("model input shape ${shape.contentToString()} does not match the metadata")
        }
        input = ByteBuffer.allocateDirect(t.numBytes()).order(ByteOrder.nativeOrder())
        inputs = arrayOf(input)
        outMeta = meta.outputs.toTypedArray()
        val tensors = outMeta.map { o ->
            val idx = (0 until interpreter.outputTensorCount).first { interpreter.getOutputTensor(it).index() == o.index }
            idx to interpreter.getOutputTensor(idx)
        }
        outBytes = Array(outMeta.size) { i ->
            ByteBuffer.allocateDirect(tensors[i].second.numBytes()).order(ByteOrder.nativeOrder())
                .also { outputBuffers[tensors[i].first] = it }
        }
        val isFloat = BooleanArray(outMeta.size) { tensors[it].second.dataType() == DataType.FLOAT32 }
        outFloats = Array(outMeta.size) { if (isFloat[it]) outBytes[it].asFloatBuffer() else null }
        outRaw = Array(outMeta.size) { i ->
            val n = tensors[i].second.numElements()
            val values = FloatArray(n)
            decoded[outMeta[i].name] = values
            if (isFloat[i]) values else ByteArray(n)
        }
        outValues = Array(outMeta.size) { decoded[outMeta[it].name] as FloatArray }
        val mirrored = if (flipTest) outMeta.size else 0
        mirroredValues = Array(mirrored) { FloatArray(outValues[it].size) }
        mirroredRaw = Array(mirrored) { if (isFloat[it]) mirroredValues[it] else ByteArray(outValues[it].size) }
        scratch = Array(mirrored) { FloatArray(outValues[it].size) }
    }

    override fun estimate(frame: Bitmap, timeSeconds: Double, out: Pose) {
        val box = tracker.box()
        val alignment = tracker.alignment()
        if (framePixels.size != frame.width * frame.height) framePixels = IntArray(frame.width * frame.height)
        frame.getPixels(framePixels, 0, frame.width, 0, 0, frame.width, frame.height)
        // BlazePose's pipeline: the previous pose gives the crop; the first frame, or one after
        // the pose was lost, asks the person detector (the whole frame without one)
        val lost = alignment == null && box == null
        val found = if (lost) personDetector?.detect(framePixels, frame.width, frame.height) else null
        out.detectorMs = if (lost && personDetector != null) personDetector.inferenceMs else 0.0
        val crop = if (alignment != null) {
            Crop.aligned(alignment, meta.inputHeight, meta.inputWidth, meta.cropPadding)
        } else if (box != null) {
            Crop.fromBox(box[0], box[1], box[2], box[3], meta.inputHeight, meta.inputWidth, meta.cropPadding)
        } else if (found != null) {
            DetectionDecoder.poseCrop(found, meta.cropAligned, meta.inputHeight, meta.inputWidth, meta.cropPadding)
        } else {
            Crop.letterbox(frame.height, frame.width, meta.inputHeight, meta.inputWidth)
        }
        val kp = out.keypoints
        out.inferenceMs = pose(frame, crop, kp)
        if (found != null && meta.cropAligned) {
            // a detection is posed in views, as posenet_mobile's PosePipeline does: its crop, the
            // crop from that pose and its crop turned either way; each keypoint comes from the
            // view surest of it
            val views = arrayListOf(copyOf(kp))
            followTracker.reset()
            followTracker.update(kp)
            val next = followTracker.alignment()
            val nextBox = followTracker.box()
            val crops = DetectionDecoder.viewCrops(found, meta.inputHeight, meta.inputWidth, meta.cropPadding)
            if (next != null) {
                crops.add(0, Crop.aligned(next, meta.inputHeight, meta.inputWidth, meta.cropPadding))
            } else if (nextBox != null) { // no confident torso: the pose's box, as the tracker takes it
                crops.add(0, Crop.fromBox(nextBox[0], nextBox[1], nextBox[2], nextBox[3], meta.inputHeight, meta.inputWidth, meta.cropPadding))
            }
            for (c in crops) {
                val v = Keypoints(kp.size())
                out.inferenceMs += pose(frame, c, v)
                views.add(v)
            }
            val best = Keypoints.mostConfident(views)
            System.arraycopy(best.x, 0, kp.x, 0, kp.size())
            System.arraycopy(best.y, 0, kp.y, 0, kp.size())
            System.arraycopy(best.score, 0, kp.score, 0, kp.size())
        }
        val k = kp.size()
        System.arraycopy(kp.x, 0, xy, 0, k)
        System.arraycopy(kp.y, 0, xy, k, k)
        smoother.filter(xy, timeSeconds, xy)
        System.arraycopy(xy, 0, kp.x, 0, k)
        System.arraycopy(xy, k, kp.y, 0, k)
        if (tracker.update(kp) == null) smoother.reset()
        out.frameWidth = frame.width
        out.frameHeight = frame.height
    }

    /** One crop of the frame through the pose model into [into] (frame pixels); returns its ms. */
    private fun pose(frame: Bitmap, crop: Crop, into: Keypoints): Double {
        crop.warp(framePixels, frame.width, frame.height, meta.inputHeight, meta.inputWidth, pixels)
        var ms = runModel(outRaw, outValues)
        if (flipTest) {
            Crop.mirror(pixels, meta.inputHeight, meta.inputWidth)
            ms += runModel(mirroredRaw, mirroredValues)
            for (i in outMeta.indices) {
                PoseDecoder.flipTestMean(meta, outMeta[i].name, outValues[i], mirroredValues[i], scratch[i])
            }
        }
        PoseDecoder.decode(meta, decoded).toImage(crop, meta.inputHeight, meta.inputWidth, into)
        return ms
    }

    /** The model on [pixels]: raw outputs into [raw], dequantised into [into]; returns its ms. */
    private fun runModel(raw: Array<Any>, into: Array<FloatArray>): Double {
        fillInput()
        for (b in outBytes) b.rewind()
        val t0 = System.nanoTime()
        interpreter.runForMultipleInputsOutputs(inputs, outputBuffers)
        val ms = (System.nanoTime() - t0) / 1e6
        for (i in outBytes.indices) {
            val view = outFloats[i]
            if (view != null) {
                view.rewind()
                view.get(into[i])
            } else {
                outBytes[i].rewind()
                outBytes[i].get(raw[i] as ByteArray)
                PoseDecoder.dequantize(outMeta[i], raw[i], into[i])
            }
        }
        return ms
    }

    private fun copyOf(kp: Keypoints): Keypoints {
        val c = Keypoints(kp.size())
        System.arraycopy(kp.x, 0, c.x, 0, kp.size())
        System.arraycopy(kp.y, 0, c.y, 0, kp.size())
        System.arraycopy(kp.score, 0, c.score, 0, kp.size())
        return c
    }

    private fun fillInput() {
        input.rewind()
        for (p in pixels) {
            val r = (p shr 16) and 0xff
            val g = (p shr 8) and 0xff
            val b = p and 0xff
            if (uint8Input) {
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
        personDetector?.close()
    }
}
