package com.posenetmobile.sample

import android.Manifest
import android.content.pm.PackageManager
import android.graphics.Bitmap
import android.os.Bundle
import android.widget.AdapterView
import android.widget.ArrayAdapter
import android.widget.Spinner
import android.widget.TextView
import androidx.activity.result.contract.ActivityResultContracts
import androidx.appcompat.app.AppCompatActivity
import androidx.camera.view.PreviewView
import androidx.core.content.ContextCompat
import com.posenetmobile.posecore.PoseModelException
import com.posenetmobile.sample.camera.CameraSource
import com.posenetmobile.sample.data.Device
import com.posenetmobile.sample.data.FpsMeter
import com.posenetmobile.sample.data.Pose
import com.posenetmobile.sample.ml.LiteRtPersonDetector
import com.posenetmobile.sample.ml.LiteRtPoseDetector
import com.posenetmobile.sample.ml.hasAsset
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/** Camera preview + per-frame pose estimation with the skeleton overlay, inference time and FPS. */
class MainActivity : AppCompatActivity() {
    private lateinit var status: TextView
    private lateinit var overlay: OverlayView
    private lateinit var camera: CameraSource
    // one thread for loading models and analysing frames, so neither races the other
    private val executor: ExecutorService = Executors.newSingleThreadExecutor()
    @Volatile private var detector: LiteRtPoseDetector? = null
    private var pose: Pose? = null
    private val fps = FpsMeter()
    private val threadChoices = listOf(1, 2, 4)

    private val permission = registerForActivityResult(ActivityResultContracts.RequestPermission()) { granted ->
        if (granted) camera.start() else status.text = getString(R.string.camera_denied)
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        status = findViewById(R.id.status)
        overlay = findViewById(R.id.overlay)
        camera = CameraSource(this, findViewById<PreviewView>(R.id.preview), executor, ::analyze)
        val delegate = findViewById<Spinner>(R.id.delegate)
        val threads = findViewById<Spinner>(R.id.threads)
        delegate.adapter = ArrayAdapter(this, android.R.layout.simple_spinner_dropdown_item, Device.entries.map { it.label })
        threads.adapter = ArrayAdapter(this, android.R.layout.simple_spinner_dropdown_item, threadChoices.map { "$it thread" + if (it > 1) "s" else "" })
        threads.setSelection(1)
        val reload = object : AdapterView.OnItemSelectedListener {
            override fun onItemSelected(p: AdapterView<*>?, v: android.view.View?, pos: Int, id: Long) =
                loadModel(Device.entries[delegate.selectedItemPosition], threadChoices[threads.selectedItemPosition])
            override fun onNothingSelected(p: AdapterView<*>?) {}
        }
        delegate.onItemSelectedListener = reload
        threads.onItemSelectedListener = reload
        if (ContextCompat.checkSelfPermission(this, Manifest.permission.CAMERA) == PackageManager.PERMISSION_GRANTED) {
            camera.start()
        } else {
            permission.launch(Manifest.permission.CAMERA)
        }
    }

    private fun loadModel(device: Device, threads: Int) {
        executor.execute {
            detector?.close()
            detector = try {
                // the person detector is optional: without one a lost pose restarts from the whole frame
                val person = if (hasAsset(this, LiteRtPersonDetector.ASSET)) LiteRtPersonDetector(this, threads) else null
                val made = try {
                    LiteRtPoseDetector(this, device, threads, personDetector = person)
                } catch (e: RuntimeException) {
                    person?.close()
                    throw e
                }
                pose = Pose(made.meta.numKeypoints())
                val first = if (person != null) " + person detector" else ""
                val m = made.meta
                runOnUiThread { status.text = "${m.head} ${m.format} ${m.inputWidth}x${m.inputHeight}$first" }
                made
            } catch (e: PoseModelException) {
                runOnUiThread { status.text = "Model problem: ${e.message}" }
                null
            } catch (e: IllegalArgumentException) { // e.g. the GPU delegate cannot run this model
                runOnUiThread { status.text = "Cannot use this setting: ${e.message}" }
                null
            }
        }
    }

    /** On the executor: one upright frame through the detector, then to the overlay. */
    private fun analyze(frame: Bitmap, timeSeconds: Double) {
        val det = detector ?: return
        val out = pose ?: return
        try {
            det.estimate(frame, timeSeconds, out)
        } catch (e: PoseModelException) {
            runOnUiThread { status.text = "Model problem: ${e.message}" }
            return
        }
        fps.tick()
        overlay.show(out, det.meta.skeleton)
        val found = if (out.detectorMs > 0) "   detector %.1f ms".format(out.detectorMs) else ""
        val text = "inference %.1f ms%s   %.1f FPS".format(out.inferenceMs, found, fps.fps)
        runOnUiThread { status.text = text }
    }

    override fun onDestroy() {
        super.onDestroy()
        executor.execute { detector?.close() }
        executor.shutdown()
    }
}
