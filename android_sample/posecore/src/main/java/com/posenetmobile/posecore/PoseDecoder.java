package com.posenetmobile.posecore;

import java.util.Map;

/**
 * Dequantise and decode the exporter's output layouts: the Java port of
 * {@code posenet_mobile.codec.decode_outputs}. Keypoints come out in input pixels.
 *
 * <ul>
 *   <li>heatmap_offset: heatmaps (1, Hh, Wh, K) + offsets (1, Hh, Wh, 2K) interleaved dx, dy; the
 *       first maximum in row-major (y, x) order, plus the offset there; x = (ix + 0.5 + dx) * stride.
 *       Score: the peak clipped to [0, 1].</li>
 *   <li>heatmap_offset_sides: as heatmap_offset plus facing (1, 1), a logit (&gt; 0: the person faces
 *       the camera); each left/right pair is then decoded together, as {@code codec.decode_sides}:
 *       the two peaks of the pair's summed maps are its two limbs, and the one on the image right of
 *       the torso axis is the person's left when they face the camera.</li>
 *   <li>regression: coords (1, K, 2) normalised to the input, scores sigmoid(visibility (1, K)).</li>
 *   <li>simcc: simcc_x (1, K, Bx) and simcc_y (1, K, By) bin logits, as {@code posenet_mobile.simcc}: per
 *       axis the first maximum bin plus the vertex of the parabola through it and its neighbours
 *       (clipped to half a bin), x = (b + 0.5) / split ratio; score the smaller over the axes of
 *       max softmax(beta * logits) over that of a perfect target, clipped to [0, 1].</li>
 *   <li>simcc_sides: as simcc plus facing (1, 1); each left/right pair's two points then keep their
 *       places and the one on the image right of the torso axis becomes the person's left when they
 *       face the camera, as {@code codec.order_sides}.</li>
 *   <li>in_graph: keypoints (1, K, 3) = x, y (input pixels), score.</li>
 * </ul>
 */
public final class PoseDecoder {
    private PoseDecoder() {}

    /** (q - zeroPoint) * scale in float, as the Python runner does; a float tensor passes through. */
    public static float[] dequantize(ModelMetadata.Output out, Object raw) {
        if (raw instanceof float[]) {
            return (float[]) raw;
        }
        return dequantize(out, raw, new float[length(out, raw)]);
    }

    /**
     * As {@link #dequantize(ModelMetadata.Output, Object)}, into {@code into} (of the buffer's
     * length), so a per-frame loop can reuse one array per output; returns {@code into}.
     */
    public static float[] dequantize(ModelMetadata.Output out, Object raw, float[] into) {
        int n = length(out, raw);
        if (into.length != n) {
            throw new PoseModelException("output '" + out.name + "': " + n + " values into an array of " + into.length);
        }
        if (raw instanceof float[]) {
            System.arraycopy((float[]) raw, 0, into, 0, n);
            return into;
        }
        if (out.scale == 0f) {
            throw new PoseModelException("output '" + out.name + "': quantized data without a scale in the metadata");
        }
        if (raw instanceof byte[]) {
            byte[] b = (byte[]) raw;
            boolean unsigned = out.dtype.equals("uint8");
            for (int i = 0; i < n; i++) {
                int q = unsigned ? (b[i] & 0xff) : b[i];
                into[i] = (float) (q - out.zeroPoint) * out.scale;
            }
            return into;
        }
        int[] q = (int[]) raw;
        for (int i = 0; i < n; i++) {
            into[i] = (float) (q[i] - out.zeroPoint) * out.scale;
        }
        return into;
    }

    private static int length(ModelMetadata.Output out, Object raw) {
        if (raw instanceof float[]) {
            return ((float[]) raw).length;
        }
        if (raw instanceof byte[]) {
            return ((byte[]) raw).length;
        }
        if (raw instanceof int[]) {
            return ((int[]) raw).length;
        }
        throw new PoseModelException("output '" + out.name + "': unsupported buffer type "
                + (raw == null ? "null" : raw.getClass().getSimpleName()));
    }

    /** Decode raw output buffers (by output name) into keypoints in input pixels. */
    public static Keypoints decode(ModelMetadata meta, Map<String, Object> raw) {
        switch (meta.decodeMethod) {
            case "heatmap_offset":
                return heatmapOffset(meta, deq(meta, raw, "heatmaps"), deq(meta, raw, "offsets"));
            case "heatmap_offset_sides":
                return heatmapOffsetSides(meta, deq(meta, raw, "heatmaps"), deq(meta, raw, "offsets"),
                        deq(meta, raw, "facing")[0]);
            case "regression":
                return regression(meta, deq(meta, raw, "coords"), deq(meta, raw, "visibility"));
            case "in_graph":
                return inGraph(meta, deq(meta, raw, "keypoints"));
            case "simcc":
                return simcc(meta, deq(meta, raw, "simcc_x"), deq(meta, raw, "simcc_y"));
            case "simcc_sides":
                return orderSides(meta, simcc(meta, deq(meta, raw, "simcc_x"), deq(meta, raw, "simcc_y")),
                        deq(meta, raw, "facing")[0]);
            default:
                throw new PoseModelException("metadata field 'decode.method': unknown " + meta.decodeMethod);
        }
    }

    /**
     * Decode with the flip test, as the Python harness's {@code codec.flip_test}: the raw outputs
     * on a crop and on its mirror image ({@link Crop#mirror}) are dequantised, the mirrored run's
     * mapped back to the crop's frame ({@link #mirrorBack}), the two averaged and decoded as
     * {@link #decode}. Allocates its arrays; a per-frame loop uses {@link #flipTestMean}.
     */
    public static Keypoints decodeFlipTest(ModelMetadata meta, Map<String, Object> raw, Map<String, Object> rawMirrored) {
        Map<String, Object> mean = new java.util.HashMap<>();
        for (ModelMetadata.Output out : meta.outputs) {
            if (!raw.containsKey(out.name) || !rawMirrored.containsKey(out.name)) {
                throw new PoseModelException("flip test: output '" + out.name + "' missing from one of the two runs");
            }
            float[] plain = dequantize(out, raw.get(out.name)).clone();
            float[] mirrored = dequantize(out, rawMirrored.get(out.name));
            flipTestMean(meta, out.name, plain, mirrored, new float[plain.length]);
            mean.put(out.name, plain);
        }
        return decode(meta, mean);
    }

    /**
     * One output's flip-test mean, in place: {@code plain} (the crop's dequantised output)
     * becomes 0.5 (plain + mirrorBack(mirrored)), computed in float as the harness does;
     * {@code scratch} (of the same length) receives the mapped-back mirrored run.
     */
    public static void flipTestMean(ModelMetadata meta, String name, float[] plain, float[] mirrored, float[] scratch) {
        if (plain.length != mirrored.length || scratch.length != plain.length) {
            throw new PoseModelException("flip test: output '" + name + "' has " + plain.length + " values, the mirrored run "
                    + mirrored.length + ", the scratch array " + scratch.length);
        }
        mirrorBack(meta, name, mirrored, scratch);
        for (int i = 0; i < plain.length; i++) {
            plain[i] = 0.5f * (plain[i] + scratch[i]);
        }
    }

    /**
     * A model's dequantised output {@code name} on the crop mirrored left to right, mapped back to
     * the crop's frame into {@code into}: the port of {@code codec.mirror_outputs}. Mirroring input
     * x to W - x swaps left and right, so each keypoint's values come from its
     * {@code keypoints.flip_index} partner, and x is mirrored: heatmap and offset cells j to
     * Wh - 1 - j with dx negated, SimCC x bins b to Bx - 1 - b, normalised coords x to 1 - x,
     * in-graph keypoints x to W - x; SimCC y and visibility only swap partners, and facing is
     * unchanged (a mirrored person faces the same way). Any other output has no rule.
     */
    public static float[] mirrorBack(ModelMetadata meta, String name, float[] v, float[] into) {
        ModelMetadata.Output o = meta.output(name);
        if (o == null) {
            throw new PoseModelException("flip test: the metadata has no output '" + name + "'");
        }
        if (into.length != v.length) {
            throw new PoseModelException("flip test: output '" + name + "': " + v.length + " values into an array of " + into.length);
        }
        int[] fi = meta.flipIndex;
        int k = fi.length;
        switch (name) {
            case "heatmaps":
            case "offsets": {
                int hh = o.shape[1], ww = o.shape[2], c = o.shape[3];
                int per = name.equals("offsets") ? 2 : 1;
                if (c != per * k || v.length != hh * ww * c) {
                    throw new PoseModelException("flip test: output '" + name + "' of shape " + java.util.Arrays.toString(o.shape)
                            + " does not hold " + per + " x " + k + " keypoint channels");
                }
                for (int y = 0; y < hh; y++) {
                    for (int x = 0; x < ww; x++) {
                        int dst = (y * ww + x) * c, src = (y * ww + (ww - 1 - x)) * c;
                        for (int j = 0; j < k; j++) {
                            if (per == 1) {
                                into[dst + j] = v[src + fi[j]];
                            } else {
                                into[dst + 2 * j] = -v[src + 2 * fi[j]];
                                into[dst + 2 * j + 1] = v[src + 2 * fi[j] + 1];
                            }
                        }
                    }
                }
                return into;
            }
            case "simcc_x":
            case "simcc_y":
            case "visibility":
            case "coords":
            case "keypoints": {
                if (v.length % k != 0) {
                    throw new PoseModelException("flip test: output '" + name + "' has " + v.length + " values, not a multiple of "
                            + k + " keypoints");
                }
                int n = v.length / k;
                for (int j = 0; j < k; j++) {
                    for (int b = 0; b < n; b++) {
                        into[j * n + b] = v[fi[j] * n + (name.equals("simcc_x") ? n - 1 - b : b)];
                    }
                    if (name.equals("coords")) {
                        into[j * n] = 1f - into[j * n];
                    } else if (name.equals("keypoints")) {
                        into[j * n] = (float) meta.inputWidth - into[j * n];
                    }
                }
                return into;
            }
            case "facing":
                System.arraycopy(v, 0, into, 0, v.length);
                return into;
            default:
                throw new PoseModelException("flip test: no mirror rule for the model output '" + name + "'");
        }
    }

    private static float[] deq(ModelMetadata meta, Map<String, Object> raw, String name) {
        ModelMetadata.Output out = meta.output(name);
        if (out == null || !raw.containsKey(name)) {
            throw new PoseModelException("output '" + name + "' expected for decode method " + meta.decodeMethod);
        }
        return dequantize(out, raw.get(name));
    }

    static Keypoints heatmapOffset(ModelMetadata meta, float[] hm, float[] off) {
        ModelMetadata.Output h = meta.output("heatmaps");
        int hh = h.shape[1], ww = h.shape[2], k = h.shape[3];
        if (hm.length != hh * ww * k || off.length != 2 * hm.length) {
            throw new PoseModelException("heatmaps/offsets: sizes " + hm.length + "/" + off.length + " do not match shape");
        }
        Keypoints kp = new Keypoints(k);
        for (int j = 0; j < k; j++) {
            int best = 0;
            float bestV = hm[j];
            for (int c = 1; c < hh * ww; c++) {
                float v = hm[c * k + j];
                if (v > bestV) {
                    bestV = v;
                    best = c;
                }
            }
            int iy = best / ww, ix = best % ww;
            double dx = off[best * 2 * k + 2 * j];
            double dy = off[best * 2 * k + 2 * j + 1];
            kp.x[j] = (ix + dx + 0.5) * meta.stride;
            kp.y[j] = (iy + dy + 0.5) * meta.stride;
            kp.score[j] = Math.min(1.0, Math.max(0.0, bestV));
        }
        return kp;
    }

    /**
     * The highest cell of map s (Hh x Ww, row-major) and the highest 3x3 local maximum at least
     * minCells cells (Chebyshev) from it holding minFraction of its height, or -1: {@code codec.two_peaks}.
     */
    static int[] twoPeaks(double[] s, int hh, int ww, int minCells, double minFraction) {
        int first = 0;
        for (int c = 1; c < s.length; c++) {
            if (s[c] > s[first]) {
                first = c;
            }
        }
        double top = s[first];
        if (!(top > 0)) {
            return new int[] {first, -1};
        }
        int r1 = first / ww, c1 = first % ww, second = -1;
        for (int c = 0; c < s.length; c++) {
            int r = c / ww, q = c % ww;
            if (Math.max(Math.abs(r - r1), Math.abs(q - c1)) < minCells || s[c] < minFraction * top) {
                continue;
            }
            boolean localMax = true;
            for (int dy = -1; dy <= 1 && localMax; dy++) {
                for (int dx = -1; dx <= 1; dx++) {
                    int y = r + dy, x = q + dx;
                    if (y >= 0 && y < hh && x >= 0 && x < ww && s[y * ww + x] > s[c]) {
                        localMax = false;
                        break;
                    }
                }
            }
            if (localMax && (second < 0 || s[c] > s[second])) {
                second = c;
            }
        }
        return new int[] {first, second};
    }

    static Keypoints heatmapOffsetSides(ModelMetadata meta, float[] hm, float[] off, float facing) {
        Keypoints kp = heatmapOffset(meta, hm, off);
        ModelMetadata.Output h = meta.output("heatmaps");
        int hh = h.shape[1], ww = h.shape[2], k = h.shape[3];
        int[] t = meta.torso;
        double[][] centre = new double[2][];
        int[][] torsoPairs = {{t[0], t[1]}, {t[2], t[3]}};
        for (int i = 0; i < 2; i++) {
            int[] p = twoPeaks(pairSum(hm, k, torsoPairs[i][0], torsoPairs[i][1]), hh, ww, meta.pairMinCells, meta.pairMinFraction);
            double x = p[0] % ww, y = p[0] / ww;
            if (p[1] >= 0) {
                x = 0.5 * (x + p[1] % ww);
                y = 0.5 * (y + p[1] / ww);
            }
            centre[i] = new double[] {x, y};
        }
        double downX = centre[1][0] - centre[0][0], downY = centre[1][1] - centre[0][1];
        if (Math.hypot(downX, downY) < 1e-6) {
            return kp;
        }
        double rightX = downY, rightY = -downX;  // the image's right of the torso axis
        double midX = 0.5 * (centre[0][0] + centre[1][0]), midY = 0.5 * (centre[0][1] + centre[1][1]);
        for (int[] pair : meta.sidePairs) {
            int a = pair[0], b = pair[1];
            int[] p = twoPeaks(pairSum(hm, k, a, b), hh, ww, meta.pairMinCells, meta.pairMinFraction);
            if (p[1] < 0) {
                continue;
            }
            double s1 = (p[0] % ww - midX) * rightX + (p[0] / ww - midY) * rightY;
            double s2 = (p[1] % ww - midX) * rightX + (p[1] / ww - midY) * rightY;
            int onRight = s1 > s2 ? p[0] : p[1], onLeft = s1 > s2 ? p[1] : p[0];
            int cellA = facing > 0 ? onRight : onLeft, cellB = facing > 0 ? onLeft : onRight;
            place(meta, kp, hm, off, k, ww, a, b, a, cellA);
            place(meta, kp, hm, off, k, ww, a, b, b, cellB);
        }
        return kp;
    }

    private static double[] pairSum(float[] hm, int k, int a, int b) {
        double[] s = new double[hm.length / k];
        for (int c = 0; c < s.length; c++) {
            s[c] = (double) hm[c * k + a] + (double) hm[c * k + b];
        }
        return s;
    }

    /** Keypoint j at cell: offset and score from whichever of the pair's channels is higher there. */
    private static void place(ModelMetadata meta, Keypoints kp, float[] hm, float[] off, int k, int ww,
                              int a, int b, int j, int cell) {
        int best = hm[cell * k + a] >= hm[cell * k + b] ? a : b;
        double dx = off[cell * 2 * k + 2 * best];
        double dy = off[cell * 2 * k + 2 * best + 1];
        kp.x[j] = (cell % ww + dx + 0.5) * meta.stride;
        kp.y[j] = (cell / ww + dy + 0.5) * meta.stride;
        kp.score[j] = Math.min(1.0, Math.max(0.0, (double) hm[cell * k + best]));
    }

    /** Left/right of points decoded one keypoint at a time, as {@code codec.order_sides}; changes kp in place. */
    static Keypoints orderSides(ModelMetadata meta, Keypoints kp, float facing) {
        int[] t = meta.torso;
        double topX = 0.5 * (kp.x[t[0]] + kp.x[t[1]]), topY = 0.5 * (kp.y[t[0]] + kp.y[t[1]]);
        double botX = 0.5 * (kp.x[t[2]] + kp.x[t[3]]), botY = 0.5 * (kp.y[t[2]] + kp.y[t[3]]);
        double downX = botX - topX, downY = botY - topY;
        if (Math.hypot(downX, downY) < 1e-6) {
            return kp;
        }
        double rightX = downY, rightY = -downX;  // the image's right of the torso axis
        double midX = 0.5 * (topX + botX), midY = 0.5 * (topY + botY);
        for (int[] pair : meta.sidePairs) {
            int a = pair[0], b = pair[1];
            double da = (kp.x[a] - midX) * rightX + (kp.y[a] - midY) * rightY;
            double db = (kp.x[b] - midX) * rightX + (kp.y[b] - midY) * rightY;
            if (facing > 0 ? da < db : da > db) {
                double x = kp.x[a], y = kp.y[a], s = kp.score[a];
                kp.x[a] = kp.x[b];
                kp.y[a] = kp.y[b];
                kp.score[a] = kp.score[b];
                kp.x[b] = x;
                kp.y[b] = y;
                kp.score[b] = s;
            }
        }
        return kp;
    }

    static Keypoints regression(ModelMetadata meta, float[] coords, float[] vis) {
        int k = meta.numKeypoints();
        if (coords.length != 2 * k || vis.length != k) {
            throw new PoseModelException("coords/visibility: sizes " + coords.length + "/" + vis.length + " for " + k + " keypoints");
        }
        Keypoints kp = new Keypoints(k);
        for (int j = 0; j < k; j++) {
            kp.x[j] = (double) coords[2 * j] * meta.inputWidth;
            kp.y[j] = (double) coords[2 * j + 1] * meta.inputHeight;
            kp.score[j] = 1.0 / (1.0 + Math.exp(-(double) vis[j]));
        }
        return kp;
    }

    static Keypoints simcc(ModelMetadata meta, float[] sx, float[] sy) {
        int k = meta.numKeypoints();
        int bx = meta.inputWidth * meta.simccSplit, by = meta.inputHeight * meta.simccSplit;
        if (sx.length != k * bx || sy.length != k * by) {
            throw new PoseModelException("simcc_x/simcc_y: sizes " + sx.length + "/" + sy.length + " for " + k
                    + " keypoints of " + bx + "/" + by + " bins");
        }
        double normX = simccPeakProbability(bx, meta.simccSigma, meta.simccBeta);
        double normY = simccPeakProbability(by, meta.simccSigma, meta.simccBeta);
        Keypoints kp = new Keypoints(k);
        double[] ax = new double[2], ay = new double[2];
        for (int j = 0; j < k; j++) {
            simccAxis(sx, j * bx, bx, meta.simccBeta, ax);
            simccAxis(sy, j * by, by, meta.simccBeta, ay);
            kp.x[j] = (ax[0] + 0.5) / meta.simccSplit;
            kp.y[j] = (ay[0] + 0.5) / meta.simccSplit;
            double s = Math.min(ax[1] / normX, ay[1] / normY);
            kp.score[j] = Math.min(1.0, Math.max(0.0, s));
        }
        return kp;
    }

    /** One axis of one keypoint: out[0] the refined maximum in bins, out[1] max softmax(beta * logits). */
    static void simccAxis(float[] v, int off, int n, double beta, double[] out) {
        int best = 0;
        for (int b = 1; b < n; b++) {
            if (v[off + b] > v[off + best]) {
                best = b;
            }
        }
        double top = v[off + best];
        double pos = best;
        if (best > 0 && best < n - 1) {
            double left = v[off + best - 1], right = v[off + best + 1];
            double curve = left - 2.0 * top + right;
            if (curve < 0) {
                pos += Math.max(-0.5, Math.min(0.5, 0.5 * (left - right) / curve));
            }
        }
        double sum = 0;
        for (int b = 0; b < n; b++) {
            sum += Math.exp(beta * (v[off + b] - top));
        }
        out[0] = pos;
        out[1] = 1.0 / sum;
    }

    /** The largest bin of softmax(beta * target) for a target centred on the middle bin: {@code SimCCCodec.peak_probability}. */
    static double simccPeakProbability(int n, double sigma, double beta) {
        double sum = 0;
        for (int b = 0; b < n; b++) {
            double d = b - n / 2;
            sum += Math.exp(beta * (Math.exp(-d * d / (2.0 * sigma * sigma)) - 1.0));
        }
        return 1.0 / sum;
    }

    static Keypoints inGraph(ModelMetadata meta, float[] d) {
        int k = meta.numKeypoints();
        if (d.length != 3 * k) {
            throw new PoseModelException("keypoints: size " + d.length + " for " + k + " keypoints");
        }
        Keypoints kp = new Keypoints(k);
        for (int j = 0; j < k; j++) {
            kp.x[j] = d[3 * j];
            kp.y[j] = d[3 * j + 1];
            kp.score[j] = d[3 * j + 2];
        }
        return kp;
    }
}
