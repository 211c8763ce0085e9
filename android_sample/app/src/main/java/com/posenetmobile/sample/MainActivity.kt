package com.posenetmobile.sample

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.Bitmap
import android.graphics.Matrix
import android.os.Bundle
import android.widget.AdapterView
import android.widget.ArrayAdapter
import android.widget.Spinner
import android.widget.TextView
import androidx.activity.result.contract.ActivityResultContracts
import androidx.appcompat.app.AppCompatActivity
import androidx.camera.core.CameraSelector
import androidx.camera.core.ImageAnalysis
import androidx.camera.core.ImageProxy
import androidx.camera.core.Preview
import androidx.camera.lifecycle.ProcessCameraProvider
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import com.posenetmobile.posecore.PoseModelException
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/** Camera preview + per-frame pose estimation with the skeleton overlay, inference time and FPS. */
class MainActivity : AppCompatActivity() {
    private lateinit var status: TextView
    private lateinit var overlay: OverlayView
    private val executor: ExecutorService = Executors.newSingleThreadExecutor()
    @Volatile private var estimator: PoseEstimator? = null
    private var lastFrameNs = 0L
    private var fps = 0.0

    private val permission = registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) startCamera() else status.text = getString(R.string.camera_denied)
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        status = findViewById(R.id.status)
        overlay = findViewById(R.id.overlay)
        val delegate = findViewById<Spinner>(R.id.delegate)
        val threads = findViewById<Spinner>(R.id.threads)
        delegate.adapter = ArrayAdapter(this, android.R.layout.simple_spinner_dropdown_item, listOf("CPU (XNNPACK)", "GPU"))
        threads.adapter = ArrayAdapter(this, android.R.layout.simple_spinner_dropdown_item, listOf("1 thread", "2 threads", "4 threads"))
        threads.setSelection(1)
        val reload = object : AdapterView.OnItemSelectedListener {
            override fun onItemSelected(p: AdapterView<*>?, v: android.view.View?, pos: Int, id: Long) =
                loadModel(delegate.selectedItemPosition == 1, listOf(1, 2, 4)[threads.selectedItemPosition])
            override fun onNothingSelected(p: AdapterView<*>?) {}
        }
        delegate.onItemSelectedListener = reload
        threads.onItemSelectedListener = reload
        if (ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            startCamera()
        } else {
            permission.launch(Manifest.permission.CAMERA)
        }
    }

    private fun loadModel(gpu: Boolean, threads: Int) {
        executor.execute {
            estimator?.close()
            estimator = try {
                PoseEstimator(this, gpu, threads).also {
                    runOnUiThread { status.text = "${it.meta.head} ${it.meta.format} ${it.meta.inputWidth}x${it.meta.inputHeight}" }
                }
            } catch (e: PoseModelException) {
                runOnUiThread { status.text = "Model problem: ${e.message}" }
                null
            } catch (e: IllegalArgumentException) { // e.g. the GPU delegate cannot run this model
                runOnUiThread { status.text = "Cannot use this setting: ${e.message}" }
                null
            }
        }
    }

    private fun startCamera() {
        val future = ProcessCameraProvider.getInstance(this)
        future.addListener({
            val provider = future.get()
            val preview = Preview.Builder().build().also {
                it.surfaceProvider = findViewById<PreviewView>(R.id.preview).surfaceProvider
            }
            val analysis = ImageAnalysis.Builder()
                .setBackpressureStrategy(ImageAnalysis.STRATEGY_KEEP_ONLY_LATEST)
                .setOutputImageFormat(ImageAnalysis.OUTPUT_IMAGE_FORMAT_RGBA_8888)
                .build()
            analysis.setAnalyzer(executor) { image -> analyze(image) }
            provider.unbindAll()
            provider.bindToLifecycle(this, CameraSelector.DEFAULT_BACK_CAMERA, preview, analysis)
        }, ContextCompat.getMainExecutor(this))
    }

    private fun analyze(image: ImageProxy) {
        image.use {
            val est = estimator ?: return
            val rotation = it.imageInfo.rotationDegrees
            val raw = it.toBitmap()
            val frame = if (rotation == 0) raw else Bitmap.createBitmap(raw, 0, 0, raw.width, raw.height,
                Matrix().apply { postRotate(rotation.toFloat()) }, true)
            try {
                val kp = est.estimate(frame, it.imageInfo.timestamp / 1e9)
                val now = System.nanoTime()
                if (lastFrameNs != 0L) fps = 0.9 * fps + 0.1 * (1e9 / (now - lastFrameNs))
                lastFrameNs = now
                overlay.show(kp, est.meta.skeleton, frame.width, frame.height)
                runOnUiThread { status.text = "inference %.1f ms   %.1f FPS".format(est.lastInferenceMs, fps) }
            } catch (e: PoseModelException) {
                runOnUiThread { status.text = "Model problem: ${e.message}" }
            }
        }
    }

    override fun onDestroy() {
        super.onDestroy()
        executor.execute { estimator?.close() }
        executor.shutdown()
    }
}
