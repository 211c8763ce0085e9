package com.posenetmobile.posecore;

import java.util.List;

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

    /**
     * One pose from several of the same person (in the same frame's pixels): each keypoint and
     * its score from the pose that scores it highest, the first on a tie. The port of
     * {@code posenet_mobile.runtime.pipeline.most_confident}.
     */
    public static Keypoints mostConfident(List<Keypoints> poses) {
        if (poses.isEmpty()) throw new IllegalArgumentException("poses: expected at least one");
        int k = poses.get(0).size();
        Keypoints out = new Keypoints(k);
        for (int i = 0; i < k; i++) {
            Keypoints best = poses.get(0);
            for (Keypoints p : poses) {
                if (p.size() != k) {
                    throw new IllegalArgumentException("poses: " + p.size() + " keypoints, expected " + k);
                }
                if (p.score[i] > best.score[i]) best = p;
            }
            out.x[i] = best.x[i];
            out.y[i] = best.y[i];
            out.score[i] = best.score[i];
        }
        return out;
    }

    /** The same keypoints mapped from input pixels to image pixels through {@code crop}. */
    public Keypoints toImage(Crop crop, int inputHeight, int inputWidth) {
        return toImage(crop, inputHeight, inputWidth, new Keypoints(size()));
    }

    /** As {@link #toImage(Crop, int, int)}, written into {@code out} (which may be this); returns out. */
    public Keypoints toImage(Crop crop, int inputHeight, int inputWidth, Keypoints out) {
        if (out.size() != size()) {
            throw new IllegalArgumentException("out: " + out.size() + " keypoints, expected " + size());
        }
        double[] m = crop.inverse(inputHeight, inputWidth);
        for (int k = 0; k < size(); k++) {
            double px = x[k], py = y[k];
            out.x[k] = m[0] * px + m[1] * py + m[2];
            out.y[k] = m[3] * px + m[4] * py + m[5];
            out.score[k] = score[k];
        }
        return out;
    }
}
