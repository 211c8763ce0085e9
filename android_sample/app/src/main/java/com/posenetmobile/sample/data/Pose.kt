package com.posenetmobile.sample.data

import com.posenetmobile.posecore.Keypoints

/**
 * One frame's pose, reused frame to frame: keypoints in frame pixels (x, y, score), the frame's
 * size in pixels, the pose interpreter call's time and the person detector's.
 */
class Pose(numKeypoints: Int) {
    val keypoints = Keypoints(numKeypoints)
    var frameWidth = 0
    var frameHeight = 0
    var inferenceMs = 0.0
    /** The person detector's time on this frame (0 when the previous pose gave the crop). */
    var detectorMs = 0.0

    /** Copies [other] (of the same keypoint count) into this pose. */
    fun copyFrom(other: Pose) {
        System.arraycopy(other.keypoints.x, 0, keypoints.x, 0, keypoints.size())
        System.arraycopy(other.keypoints.y, 0, keypoints.y, 0, keypoints.size())
        System.arraycopy(other.keypoints.score, 0, keypoints.score, 0, keypoints.size())
        frameWidth = other.frameWidth
        frameHeight = other.frameHeight
        inferenceMs = other.inferenceMs
        detectorMs = other.detectorMs
    }
}
