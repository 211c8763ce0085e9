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
 *   <li>regression: coords (1, K, 2) normalised to the input, scores sigmoid(visibility (1, K)).</li>
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
        if (out.scale == 0f) {
            throw new PoseModelException("output '" + out.name + "': quantized data without a scale in the metadata");
        }
        if (raw instanceof byte[]) {
            byte[] b = (byte[]) raw;
            float[] f = new float[b.length];
            boolean unsigned = out.dtype.equals("uint8");
            for (int i = 0; i < b.length; i++) {
                int q = unsigned ? (b[i] & 0xff) : b[i];
                f[i] = (float) (q - out.zeroPoint) * out.scale;
            }
            return f;
        }
        if (raw instanceof int[]) {
            int[] q = (int[]) raw;
            float[] f = new float[q.length];
            for (int i = 0; i < q.length; i++) {
                f[i] = (float) (q[i] - out.zeroPoint) * out.scale;
            }
            return f;
        }
        throw new PoseModelException("output '" + out.name + "': unsupported buffer type " + raw.getClass().getSimpleName());
    }

    /** Decode raw output buffers (by output name) into keypoints in input pixels. */
    public static Keypoints decode(ModelMetadata meta, Map<String, Object> raw) {
        switch (meta.decodeMethod) {
            case "heatmap_offset":
                return heatmapOffset(meta, deq(meta, raw, "heatmaps"), deq(meta, raw, "offsets"));
            case "regression":
                return regression(meta, deq(meta, raw, "coords"), deq(meta, raw, "visibility"));
            case "in_graph":
                return inGraph(meta, deq(meta, raw, "keypoints"));
            default:
                throw new PoseModelException("metadata field 'decode.method': unknown " + meta.decodeMethod);
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
