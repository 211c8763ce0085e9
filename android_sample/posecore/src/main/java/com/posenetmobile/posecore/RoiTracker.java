package com.posenetmobile.posecore;

/**
 * Next frame's person box from this frame's keypoints (BlazePose / MoveNet style): the bounding
 * box of keypoints scoring at least minScore, or null when fewer than minKeypoints qualify (pose
 * lost: use the full frame). Port of {@code posenet_mobile.runtime.tracking.RoiTracker}.
 */
public final class RoiTracker {
    private final double minScore;
    private final int minKeypoints;
    private double[] box;

    public RoiTracker(double minScore, int minKeypoints) {
        this.minScore = minScore;
        this.minKeypoints = minKeypoints;
    }

    /** Keypoints in image pixels; returns {x, y, w, h} or null. */
    public double[] update(Keypoints kp) {
        double x0 = Double.POSITIVE_INFINITY, y0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY, y1 = Double.NEGATIVE_INFINITY;
        int n = 0;
        for (int k = 0; k < kp.size(); k++) {
            if (kp.score[k] >= minScore) {
                n++;
                x0 = Math.min(x0, kp.x[k]);
                y0 = Math.min(y0, kp.y[k]);
                x1 = Math.max(x1, kp.x[k]);
                y1 = Math.max(y1, kp.y[k]);
            }
        }
        box = n < minKeypoints ? null : new double[] {x0, y0, Math.max(x1 - x0, 1.0), Math.max(y1 - y0, 1.0)};
        return box;
    }

    public double[] box() {
        return box;
    }

    public void reset() {
        box = null;
    }
}
