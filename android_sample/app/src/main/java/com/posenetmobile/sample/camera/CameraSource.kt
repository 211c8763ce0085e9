package com.posenetmobile.sample.camera

import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Matrix
import android.graphics.Paint
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import androidx.lifecycle.LifecycleOwner
import java.util.concurrent.Executor

/**
 * CameraX preview plus analysis frames, each turned upright and handed to [onFrame] (on
 * [executor]) with its timestamp in seconds. The RGBA copy and the upright bitmap are reused
 * frame to frame; they are reallocated only when the frame's size or rotation changes.
 */
class CameraSource(
    private val owner: LifecycleOwner,
    private val previewView: PreviewView,
    private val executor: Executor,
    private val onFrame: (frame: Bitmap, timeSeconds: Double) -> Unit,
) {
    private var rgba: Bitmap? = null
    private var upright: Bitmap? = null
    private var uprightCanvas: Canvas? = null
    private var uprightRotation = -1
    private val rotate = Matrix()
    private val paint = Paint(Paint.FILTER_BITMAP_FLAG)

    fun start() {
        val context = previewView.context
        val future = ProcessCameraProvider.getInstance(context)
        future.addListener({
            val provider = future.get()
            val preview = Preview.Builder().build().also { it.surfaceProvider = previewView.surfaceProvider }
            val analysis = ImageAnalysis.Builder()
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
                .build()
            analysis.setAnalyzer(executor) { image -> image.use { onFrame(upright(it), it.imageInfo.timestamp / 1e9) } }
            provider.unbindAll()
            provider.bindToLifecycle(owner, CameraSelector.DEFAULT_BACK_CAMERA, preview, analysis)
        }, ContextCompat.getMainExecutor(context))
    }

    /** The frame as an upright bitmap: the RGBA plane copied as is, then rotated by the camera's rotation. */
    private fun upright(image: ImageProxy): Bitmap {
        val w = image.width
        val h = image.height
        val plane = image.planes[0]
        // a row may be padded: the copy is as wide as the row stride and only w columns are drawn
        val strideW = plane.rowStride / plane.pixelStride
        val buffer = plane.buffer.also { it.rewind() }
        val src = if (buffer.remaining() >= plane.rowStride * h) {
            (rgba?.takeIf { it.width == strideW && it.height == h }
                ?: Bitmap.createBitmap(strideW, h, Bitmap.Config.ARGB_8888).also { rgba = it })
                .also { it.copyPixelsFromBuffer(buffer) }
        } else {
            // some devices leave the last row unpadded: CameraX's own (allocating) conversion
            image.toBitmap()
        }
        val rotation = image.imageInfo.rotationDegrees
        val outW = if (rotation % 180 == 0) w else h
        val outH = if (rotation % 180 == 0) h else w
        var out = upright
        if (out == null || out.width != outW || out.height != outH || rotation != uprightRotation) {
            out = Bitmap.createBitmap(outW, outH, Bitmap.Config.ARGB_8888)
            upright = out
            uprightCanvas = Canvas(out)
            uprightRotation = rotation
            // rotate about the origin, then move the rotated frame back into view; the padding
            // columns (x >= w) land outside the upright bitmap
            rotate.reset()
            rotate.postRotate(rotation.toFloat())
            when (rotation) {
                90 -> rotate.postTranslate(h.toFloat(), 0f)
                180 -> rotate.postTranslate(w.toFloat(), h.toFloat())
                270 -> rotate.postTranslate(0f, w.toFloat())
            }
        }
        uprightCanvas!!.drawBitmap(src, rotate, paint)
        return out
    }
}
