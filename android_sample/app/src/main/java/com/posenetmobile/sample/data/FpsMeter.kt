package com.posenetmobile.sample.data

/** Frames per second, exponentially smoothed over frame-to-frame intervals. */
class FpsMeter(private val smoothing: Double = 0.1) {
    private var lastNs = 0L
    var fps = 0.0
        private set

    fun tick(nowNs: Long = System.nanoTime()) {
        if (lastNs != 0L && nowNs > lastNs) fps = (1 - smoothing) * fps + smoothing * (1e9 / (nowNs - lastNs))
        lastNs = nowNs
    }
}
