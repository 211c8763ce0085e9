package com.posenetmobile.posecore;

/**
 * BlazePose's alignment of a person in image pixels: the hip centre, the radius of the circle
 * about it that encloses the body, and the incline (degrees, counter-clockwise on screen) of the
 * hip-centre to shoulder-centre vector from upright. Port of
 * {@code posenet_mobile.geometry.Alignment} and {@code alignment_from_keypoints}.
 */
public final class Alignment {
    public final double cx;
    public final double cy;
    public final double radius;
    public final double angle;

    public Alignment(double cx, double cy, double radius, double angle) {
        this.cx = cx;
        this.cy = cy;
        this.radius = radius;
        this.angle = angle;
    }

    /** The incline of hip centre -> shoulder centre against straight up, in (-180, 180]. */
    public static double inclineDegrees(double hipX, double hipY, double shoulderX, double shoulderY) {
        double vx = shoulderX - hipX;
        double vy = shoulderY - hipY;
        if (vx == 0.0 && vy == 0.0) {
            return 0.0;
        }
        double a = Math.toDegrees(Math.atan2(-vx, -vy)) + 0.0;
        return a == -180.0 ? 180.0 : a;
    }

    /**
     * The alignment of keypoints (image pixels) whose flag in {@code valid} is set, or null when
     * no shoulder or no hip is valid. {@code torso}: indices of the left shoulder, right shoulder,
     * left hip and right hip.
     */
    public static Alignment fromKeypoints(double[] x, double[] y, boolean[] valid, int[] torso) {
        double hx = 0, hy = 0, sx = 0, sy = 0;
        int nh = 0, ns = 0;
        for (int j = 0; j < 2; j++) {
            int s = torso[j], h = torso[2 + j];
            if (ok(x, y, valid, s)) {
                sx += x[s];
                sy += y[s];
                ns++;
            }
            if (ok(x, y, valid, h)) {
                hx += x[h];
                hy += y[h];
                nh++;
            }
        }
        if (ns == 0 || nh == 0) {
            return null;
        }
        hx /= nh;
        hy /= nh;
        double r = 0;
        for (int k = 0; k < x.length; k++) {
            if (ok(x, y, valid, k)) {
                r = Math.max(r, Math.hypot(x[k] - hx, y[k] - hy));
            }
        }
        return new Alignment(hx, hy, Math.max(r, 1.0), inclineDegrees(hx, hy, sx / ns, sy / ns));
    }

    /** The same from detected keypoints: those scoring at least {@code minScore} count. */
    public static Alignment fromKeypoints(Keypoints kp, double minScore, int[] torso) {
        boolean[] valid = new boolean[kp.size()];
        for (int k = 0; k < valid.length; k++) valid[k] = kp.score[k] >= minScore;
        return fromKeypoints(kp.x, kp.y, valid, torso);
    }

    private static boolean ok(double[] x, double[] y, boolean[] valid, int k) {
        return valid[k] && !Double.isNaN(x[k]) && !Double.isInfinite(x[k]) && !Double.isNaN(y[k]) && !Double.isInfinite(y[k]);
    }
}
