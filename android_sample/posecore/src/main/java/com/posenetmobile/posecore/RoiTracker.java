package com.posenetmobile.posecore;

/**
 * Next frame's person box from this frame's keypoints (BlazePose / MoveNet style): the bounding
 * box of keypoints scoring at least minScore, or null when fewer than minKeypoints qualify (pose
 * lost: use the full frame). Given the torso indices it also keeps the pose's {@link Alignment},
 * from which a model with aligned crops takes the next crop. Port of
 * {@code posenet_mobile.runtime.tracking.RoiTracker}.
 */
public final class RoiTracker {
    private final double minScore;
    private final int minKeypoints;
    private final int[] torso;
    private double[] box;
    private Alignment alignment;

    public RoiTracker(double minScore, int minKeypoints) {
        this(minScore, minKeypoints, null);
    }

    /** {@code torso}: left shoulder, right shoulder, left hip, right hip, or null (boxes only). */
    public RoiTracker(double minScore, int minKeypoints, int[] torso) {
        this.minScore = minScore;
        this.minKeypoints = minKeypoints;
        this.torso = torso;
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
        alignment = box == null || torso == null ? null : Alignment.fromKeypoints(kp, minScore, torso);
        return box;
    }

    public double[] box() {
        return box;
    }

    /** The last pose's alignment, or null (lost, no confident shoulder and hip, or no torso given). */
    public Alignment alignment() {
        return alignment;
    }

    public void reset() {
        box = null;
        alignment = null;
    }
}
