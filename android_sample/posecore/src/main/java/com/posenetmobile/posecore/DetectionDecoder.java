package com.posenetmobile.posecore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The person detector's decoding (metadata decode.method "center_alignment"): the port of
 * {@code posenet_mobile.detect.codec.DetectionCodec.decode}. A cell is a person when it is the
 * maximum of its 3x3 neighbourhood (the first in row-major order among equals) and scores at least
 * the threshold; the 9 geometry values at that cell give the hip centre's sub-cell offset, the log
 * body radius, the incline as sine and cosine, and the box edges in radii. Results are in the
 * detector input's pixels; {@link #toFrame} maps one to the frame through the letterbox crop.
 */
public final class DetectionDecoder {
    /** One person: score in [0, 1], alignment, box {x, y, w, h}. */
    public static final class Detection {
        public final double score;
        public final Alignment alignment;
        public final double[] box;

        public Detection(double score, Alignment alignment, double[] box) {
            this.score = score;
            this.alignment = alignment;
            this.box = box;
        }
    }

    public static final int GEOMETRY_CHANNELS = 9;

    private DetectionDecoder() {}

    /** heat: gh x gw row-major scores; geo: gh x gw x 9 row-major. Best first, at most maxPeople. */
    public static List<Detection> decode(float[] heat, float[] geo, int gh, int gw, int stride, double threshold, int maxPeople) {
        List<int[]> peaks = new ArrayList<>();
        for (int v = 0; v < gh; v++) {
            for (int u = 0; u < gw; u++) {
                float s = heat[v * gw + u];
                if (!(s >= threshold)) continue;
                int bestV = -1, bestU = -1;
                float best = Float.NEGATIVE_INFINITY;
                for (int y = Math.max(v - 1, 0); y < Math.min(v + 2, gh); y++) {
                    for (int x = Math.max(u - 1, 0); x < Math.min(u + 2, gw); x++) {
                        if (heat[y * gw + x] > best) {
                            best = heat[y * gw + x];
                            bestV = y;
                            bestU = x;
                        }
                    }
                }
                if (bestV == v && bestU == u) peaks.add(new int[] {v, u});
            }
        }
        Collections.sort(peaks, (a, b) -> {
            int c = Float.compare(heat[b[0] * gw + b[1]], heat[a[0] * gw + a[1]]);
            if (c != 0) return c;
            return a[0] != b[0] ? Integer.compare(a[0], b[0]) : Integer.compare(a[1], b[1]);
        });
        List<Detection> out = new ArrayList<>();
        for (int[] p : peaks) {
            if (out.size() >= maxPeople) break;
            int v = p[0], u = p[1];
            int o = (v * gw + u) * GEOMETRY_CHANNELS;
            double cx = (u + geo[o] + 0.5) * stride, cy = (v + geo[o + 1] + 0.5) * stride;
            double r = Math.exp(geo[o + 2]) * stride;
            double angle = Math.toDegrees(Math.atan2(geo[o + 3], geo[o + 4])) + 0.0;
            if (angle == -180.0) angle = 180.0;
            double left = Math.max(geo[o + 5], 0.0) * r, top = Math.max(geo[o + 6], 0.0) * r;
            double right = Math.max(geo[o + 7], 0.0) * r, bottom = Math.max(geo[o + 8], 0.0) * r;
            double score = Math.min(Math.max(heat[v * gw + u], 0.0), 1.0);
            out.add(new Detection(score, new Alignment(cx, cy, r, angle),
                    new double[] {cx - left, cy - top, left + right, top + bottom}));
        }
        return out;
    }

    /**
     * The person box a pose model with box crops takes from a detection (the port of
     * {@code posenet_mobile.runtime.pipeline.person_box}): its box, or, where the box has no area
     * (edges decoded negative and clipped to zero), the square around its body circle.
     */
    public static double[] personBox(Detection d) {
        if (d.box[2] >= 1.0 && d.box[3] >= 1.0) return d.box.clone();
        Alignment a = d.alignment;
        return new double[] {a.cx - a.radius, a.cy - a.radius, 2.0 * a.radius, 2.0 * a.radius};
    }

    /**
     * The crop a pose model takes from a detection in frame pixels (as
     * {@code posenet_mobile.runtime.pipeline.PosePipeline} does): the alignment's turned crop for
     * a model with aligned crops, the person box grown by the padding otherwise.
     */
    public static Crop poseCrop(Detection d, boolean aligned, int inputHeight, int inputWidth, double padding) {
        if (aligned) return Crop.aligned(d.alignment, inputHeight, inputWidth, padding);
        double[] b = personBox(d);
        return Crop.fromBox(b[0], b[1], b[2], b[3], inputHeight, inputWidth, padding);
    }

    /**
     * The angles (degrees) of the turned views of a detected person, the port of
     * {@code posenet_mobile.runtime.pipeline.VIEW_TURNS} (golden-tested against it).
     */
    public static final double[] VIEW_TURNS = {15.0};

    /**
     * The detection's aligned crop turned by each {@link #VIEW_TURNS} angle, minus then plus (as
     * {@code posenet_mobile.runtime.pipeline.turned_views}): with the detection's own crop and the
     * crop from that pose, the views whose surest keypoints {@link Keypoints#mostConfident} keeps.
     */
    public static List<Crop> viewCrops(Detection d, int inputHeight, int inputWidth, double padding) {
        List<Crop> out = new ArrayList<>();
        Alignment a = d.alignment;
        for (double turn : VIEW_TURNS) {
            for (double sign : new double[] {-1.0, 1.0}) {
                Alignment t = new Alignment(a.cx, a.cy, a.radius, a.angle + sign * turn);
                out.add(Crop.aligned(t, inputHeight, inputWidth, padding));
            }
        }
        return out;
    }

    /** A detection in the input pixels of an unrotated letterbox crop, in frame pixels. */
    public static Detection toFrame(Detection d, Crop crop, int inputHeight, int inputWidth) {
        double s = crop.width / inputWidth;
        double[] c = crop.toImage(inputHeight, inputWidth, d.alignment.cx, d.alignment.cy);
        double[] o = crop.toImage(inputHeight, inputWidth, d.box[0], d.box[1]);
        return new Detection(d.score, new Alignment(c[0], c[1], d.alignment.radius * s, d.alignment.angle),
                new double[] {o[0], o[1], d.box[2] * s, d.box[3] * s});
    }
}
