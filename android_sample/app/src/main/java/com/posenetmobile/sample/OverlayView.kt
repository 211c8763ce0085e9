package com.posenetmobile.sample

import android.content.Context
import android.graphics.Canvas
import android.graphics.Color
import android.graphics.Paint
import android.util.AttributeSet
import android.view.View
import com.posenetmobile.posecore.Keypoints

/** Draws the skeleton over the preview (frame pixels scaled to the view with fitCenter). */
class OverlayView(context: Context, attrs: AttributeSet?) : View(context, attrs) {
    private val line = Paint().apply { color = Color.GREEN; strokeWidth = 6f; isAntiAlias = true }
    private val dot = Paint().apply { color = Color.YELLOW; isAntiAlias = true }
    private var kp: Keypoints? = null
    private var skeleton: List<IntArray> = emptyList()
    private var frameW = 1
    private var frameH = 1
    var minScore = 0.3

    fun show(keypoints: Keypoints, edges: List<IntArray>, width: Int, height: Int) {
        kp = keypoints; skeleton = edges; frameW = width; frameH = height
        postInvalidate()
    }

    override fun onDraw(canvas: Canvas) {
        super.onDraw(canvas)
        val k = kp ?: return
        val s = minOf(width.toFloat() / frameW, height.toFloat() / frameH)
        val ox = (width - s * frameW) / 2f
        val oy = (height - s * frameH) / 2f
        fun x(i: Int) = ox + s * k.x[i].toFloat()
        fun y(i: Int) = oy + s * k.y[i].toFloat()
        for (e in skeleton) {
            if (k.score[e[0]] >= minScore && k.score[e[1]] >= minScore) canvas.drawLine(x(e[0]), y(e[0]), x(e[1]), y(e[1]), line)
        }
        for (i in 0 until k.size()) if (k.score[i] >= minScore) canvas.drawCircle(x(i), y(i), 8f, dot)
    }
}
