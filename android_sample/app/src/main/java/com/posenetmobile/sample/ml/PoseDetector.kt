package com.posenetmobile.sample.ml

import android.graphics.Bitmap
import com.posenetmobile.sample.data.Pose

/**
 * What the app asks of a pose model, in one method (the TFLite pose sample's detector
 * interface): an upright RGB frame in, the pose in frame pixels out.
 */
interface PoseDetector : AutoCloseable {
    /**
     * Writes the pose on [frame], taken at [timeSeconds], into [out]: keypoints in frame pixels,
     * the frame's size and the interpreter's time. Allocates no per-frame buffers.
     */
    fun estimate(frame: Bitmap, timeSeconds: Double, out: Pose)
}
