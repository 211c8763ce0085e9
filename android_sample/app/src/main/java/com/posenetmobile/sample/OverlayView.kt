package com.posenetmobile.sample

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.util.AttributeSet
import android.view.View
import com.posenetmobile.sample.data.Pose

/**
 * Draws the skeleton over the preview (frame pixels scaled to the view with fitCenter). [show]
 * copies the pose into the view's own, so the analysis thread can reuse its pose for the next frame.
 */
class OverlayView(context: Context, attrs: AttributeSet?) : View(context, attrs) {
    private val line = Paint().apply { color = Color.GREEN; strokeWidth = 6f; isAntiAlias = true }
    private val dot = Paint().apply { color = Color.YELLOW; isAntiAlias = true }
    private val lock = Any()
    private var pose: Pose? = null
    private var skeleton: List<IntArray> = emptyList()
    var minScore = 0.3

    fun show(latest: Pose, edges: List<IntArray>) {
        synchronized(lock) {
            val p = pose?.takeIf { it.keypoints.size() == latest.keypoints.size() }
                ?: Pose(latest.keypoints.size()).also { pose = it }
            p.copyFrom(latest)
            skeleton = edges
        }
        postInvalidate()
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        synchronized(lock) {
            val p = pose ?: return
            if (p.frameWidth == 0 || p.frameHeight == 0) return
            val k = p.keypoints
            val s = minOf(width.toFloat() / p.frameWidth, height.toFloat() / p.frameHeight)
            val ox = (width - s * p.frameWidth) / 2f
            val oy = (height - s * p.frameHeight) / 2f
            for (e in skeleton) {
                val a = e[0]
                val b = e[1]
                if (k.score[a] >= minScore && k.score[b] >= minScore) {
                    canvas.drawLine(ox + s * k.x[a].toFloat(), oy + s * k.y[a].toFloat(), ox + s * k.x[b].toFloat(), oy + s * k.y[b].toFloat(), line)
                }
            }
            for (i in 0 until k.size()) {
                if (k.score[i] >= minScore) canvas.drawCircle(ox + s * k.x[i].toFloat(), oy + s * k.y[i].toFloat(), 8f, dot)
            }
        }
    }
}
