package com.posenetmobile.posecore;

/** K keypoints: x, y (in the frame the producer states) and a score in [0, 1]. */
public final class Keypoints {
    public final double[] x;
    public final double[] y;
    public final double[] score;

    public Keypoints(int k) {
        x = new double[k];
        y = new double[k];
        score = new double[k];
    }

    public int size() {
        return x.length;
    }

    /** The same keypoints mapped from input pixels to image pixels through {@code crop}. */
    public Keypoints toImage(Crop crop, int inputHeight, int inputWidth) {
        double[] inv = crop.inverse(inputHeight, inputWidth);
        Keypoints out = new Keypoints(size());
        for (int k = 0; k < size(); k++) {
            double[] p = Crop.apply(inv, x[k], y[k]);
            out.x[k] = p[0];
            out.y[k] = p[1];
            out.score[k] = score[k];
        }
        return out;
    }
}
