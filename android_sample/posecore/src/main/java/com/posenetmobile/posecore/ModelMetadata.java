package com.posenetmobile.posecore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The posenet_mobile metadata document (embedded in the .tflite, and the sidecar FILE.tflite.json).
 * Only what the phone needs: input size/type, crop padding, outputs with quantization, decoding.
 */
public final class ModelMetadata {
    public static final int SCHEMA_VERSION = 1;

    /** One output tensor: its index in the interpreter, name, shape and quantization (scale 0: float). */
    public static final class Output {
        public final int index;
        public final String name;
        public final int[] shape;
        public final String dtype;
        public final float scale;
        public final int zeroPoint;

        Output(int index, String name, int[] shape, String dtype, float scale, int zeroPoint) {
            this.index = index;
            this.name = name;
            this.shape = shape;
            this.dtype = dtype;
            this.scale = scale;
            this.zeroPoint = zeroPoint;
        }
    }

    public final String head;
    public final String format;
    public final int inputHeight;
    public final int inputWidth;
    public final String inputDtype;
    public final double cropPadding;
    /** input.crop.method: true for "aligned" (turned body-circle crops), false for "box" or absent. */
    public final boolean cropAligned;
    /** Left shoulder, right shoulder, left hip, right hip among the keypoint names (or null). */
    public final int[] bodyTorso;
    public final String decodeMethod;
    public final int stride;
    public final List<String> keypointNames;
    /** keypoints.flip_index: each keypoint's partner when the image is mirrored (left and right swapped). */
    public final int[] flipIndex;
    public final List<int[]> skeleton;
    public final List<Output> outputs;
    /** decode.sides (methods heatmap_offset_sides and simcc_sides only, else null): left/right pairs, left first. */
    public final int[][] sidePairs;
    /** decode.sides.torso: left shoulder, right shoulder, left hip, right hip (or null). */
    public final int[] torso;
    public final int pairMinCells;
    public final double pairMinFraction;
    /** decode.split_ratio, decode.sigma_bins, decode.beta (methods simcc and simcc_sides only, else 0). */
    public final int simccSplit;
    public final double simccSigma;
    public final double simccBeta;
    /** tracking.roi: a keypoint counts for the next crop at this score; fewer such keypoints: pose lost. */
    public final double roiMinScore;
    public final int roiMinKeypoints;
    /** tracking.smoothing (One Euro): cutoff at rest (Hz), speed coefficient, derivative cutoff (Hz). */
    public final double smoothMinCutoff;
    public final double smoothBeta;
    public final double smoothDCutoff;
    /** The sidecar's {@code tflite_sha256}: lowercase hex of the .tflite it was written with, or null. */
    public final String tfliteSha256;

    private ModelMetadata(Map<String, Object> doc) {
        Object version = doc.get("schema_version");
        if (!(version instanceof Double) || ((Double) version).intValue() != SCHEMA_VERSION) {
            throw new PoseModelException("metadata field 'schema_version': expected " + SCHEMA_VERSION + ", got " + version);
        }
        head = str(doc, "head");
        format = str(doc, "format");
        Map<String, Object> input = obj(doc, "input");
        List<Object> size = list(input, "input.size_hw");
        inputHeight = ((Double) size.get(0)).intValue();
        inputWidth = ((Double) size.get(1)).intValue();
        inputDtype = str(input, "dtype");
        if (!inputDtype.equals("uint8") && !inputDtype.equals("float32")) {
            throw new PoseModelException("metadata field 'input.dtype': expected uint8 or float32, got " + inputDtype);
        }
        Map<String, Object> crop = obj(input, "crop");
        cropPadding = num(crop, "crop_padding");
        Object method = crop.containsKey("method") ? crop.get("method") : "box";
        if (!"box".equals(method) && !"aligned".equals(method)) {
            throw new PoseModelException("metadata field 'input.crop.method': expected box or aligned, got " + method);
        }
        cropAligned = "aligned".equals(method);
        Map<String, Object> decode = obj(doc, "decode");
        decodeMethod = str(decode, "method");
        stride = (int) num(decode, "stride");
        if (decodeMethod.equals("heatmap_offset_sides") || decodeMethod.equals("simcc_sides")) {
            Map<String, Object> sides = obj(decode, "decode.sides");
            List<Object> pl = list(sides, "decode.sides.pairs_left_right");
            sidePairs = new int[pl.size()][];
            for (int i = 0; i < sidePairs.length; i++) {
                List<?> p = (List<?>) pl.get(i);
                sidePairs[i] = new int[] {((Double) p.get(0)).intValue(), ((Double) p.get(1)).intValue()};
            }
            List<Object> t = list(sides, "decode.sides.torso");
            if (t.size() != 4) {
                throw new PoseModelException("metadata field 'decode.sides.torso': expected 4 indices, got " + t.size());
            }
            torso = new int[4];
            for (int i = 0; i < 4; i++) {
                torso[i] = ((Double) t.get(i)).intValue();
            }
            boolean peaks = decodeMethod.equals("heatmap_offset_sides");
            pairMinCells = peaks ? (int) num(sides, "decode.sides.min_cells") : 0;
            pairMinFraction = peaks ? num(sides, "decode.sides.min_fraction") : 0;
        } else {
            sidePairs = null;
            torso = null;
            pairMinCells = 0;
            pairMinFraction = 0;
        }
        if (decodeMethod.equals("simcc") || decodeMethod.equals("simcc_sides")) {
            simccSplit = (int) positive(decode, "decode.split_ratio");
            simccSigma = positive(decode, "decode.sigma_bins");
            simccBeta = positive(decode, "decode.beta");
        } else {
            simccSplit = 0;
            simccSigma = 0;
            simccBeta = 0;
        }
        List<String> names = new ArrayList<>();
        for (Object o : list(obj(doc, "keypoints"), "keypoints.names")) {
            names.add((String) o);
        }
        keypointNames = Collections.unmodifiableList(names);
        List<Object> fl = list(obj(doc, "keypoints"), "keypoints.flip_index");
        if (fl.size() != names.size()) {
            throw new PoseModelException("metadata field 'keypoints.flip_index': expected " + names.size()
                    + " entries (one per name), got " + fl.size());
        }
        flipIndex = new int[fl.size()];
        for (int i = 0; i < flipIndex.length; i++) {
            Object v = fl.get(i);
            int f = v instanceof Double ? ((Double) v).intValue() : -1;
            if (f < 0 || f >= names.size() || !(v instanceof Double) || (Double) v != f) {
                throw new PoseModelException("metadata field 'keypoints.flip_index': expected keypoint indices 0.."
                        + (names.size() - 1) + ", got " + v);
            }
            flipIndex[i] = f;
        }
        int[] body = new int[4];
        String[] torsoNames = {"left_shoulder", "right_shoulder", "left_hip", "right_hip"};
        for (int i = 0; i < 4; i++) body[i] = names.indexOf(torsoNames[i]);
        bodyTorso = body[0] < 0 || body[1] < 0 || body[2] < 0 || body[3] < 0 ? null : body;
        List<int[]> edges = new ArrayList<>();
        for (Object e : list(obj(doc, "keypoints"), "keypoints.skeleton")) {
            List<?> pair = (List<?>) e;
            edges.add(new int[] {((Double) pair.get(0)).intValue(), ((Double) pair.get(1)).intValue()});
        }
        skeleton = Collections.unmodifiableList(edges);
        List<Output> outs = new ArrayList<>();
        for (Object o : list(doc, "outputs")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = (Map<String, Object>) o;
            List<Object> sh = list(m, "outputs[].shape");
            int[] shape = new int[sh.size()];
            for (int k = 0; k < shape.length; k++) {
                shape[k] = ((Double) sh.get(k)).intValue();
            }
            Object q = m.get("quantization");
            float scale = 0f;
            int zp = 0;
            if (q instanceof Map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> qm = (Map<String, Object>) q;
                scale = (float) num(qm, "scale");
                zp = (int) num(qm, "zero_point");
            }
            outs.add(new Output((int) num(m, "index"), str(m, "name"), shape, str(m, "dtype"), scale, zp));
        }
        outputs = Collections.unmodifiableList(outs);
        Map<String, Object> tracking = obj(doc, "tracking");
        Map<String, Object> roi = obj(tracking, "tracking.roi");
        roiMinScore = num(roi, "tracking.roi.min_score");
        roiMinKeypoints = (int) num(roi, "tracking.roi.min_keypoints");
        Map<String, Object> smoothing = obj(tracking, "tracking.smoothing");
        if (!"one_euro".equals(str(smoothing, "tracking.smoothing.filter"))) {
            throw new PoseModelException("metadata field 'tracking.smoothing.filter': expected one_euro");
        }
        smoothMinCutoff = positive(smoothing, "tracking.smoothing.min_cutoff");
        smoothBeta = num(smoothing, "tracking.smoothing.beta");
        smoothDCutoff = positive(smoothing, "tracking.smoothing.d_cutoff");
        Object sha = doc.get("tflite_sha256");
        tfliteSha256 = sha instanceof String ? (String) sha : null;
    }

    /**
     * Whether {@code model} is the file this sidecar was written with: TRUE or FALSE by its sha256,
     * null when the document records no hash (the embedded copy, or an older export). A FALSE means the
     * model was replaced without its sidecar; the app should say so rather than decode with the wrong
     * document.
     */
    public Boolean matchesModel(java.nio.ByteBuffer model) {
        return sha256Matches(tfliteSha256, model);
    }

    /** Whether {@code model}'s SHA-256 is {@code sha} (lowercase hex); null when sha is null. */
    static Boolean sha256Matches(String sha, java.nio.ByteBuffer model) {
        if (sha == null) {
            return null;
        }
        try {
            java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
            md.update(model.duplicate());
            StringBuilder hex = new StringBuilder();
            for (byte b : md.digest()) {
                hex.append(String.format("%02x", b & 0xff));
            }
            return sha.equals(hex.toString());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java platform", e);
        }
    }

    /** Parse and check a metadata document. */
    @SuppressWarnings("unchecked")
    public static ModelMetadata parse(String json) {
        if (json == null || json.trim().isEmpty()) {
            throw new PoseModelException("model has no posenet_mobile metadata: export it with posenet-mobile export");
        }
        Object doc = Json.parse(json);
        if (!(doc instanceof Map)) {
            throw new PoseModelException("metadata: expected a JSON object");
        }
        return new ModelMetadata((Map<String, Object>) doc);
    }

    /** A document already parsed by {@link Json#parse} (the schema contract test edits them). */
    static ModelMetadata of(Map<String, Object> doc) {
        return new ModelMetadata(doc);
    }

    public int numKeypoints() {
        return keypointNames.size();
    }

    public Output output(String name) {
        for (Output o : outputs) {
            if (o.name.equals(name)) {
                return o;
            }
        }
        return null;
    }

    static Object need(Map<String, Object> m, String key) {
        String leaf = key.contains(".") ? key.substring(key.lastIndexOf('.') + 1) : key;
        leaf = leaf.replace("[]", "");
        if (!m.containsKey(leaf)) {
            throw new PoseModelException("metadata field '" + key + "' is missing");
        }
        return m.get(leaf);
    }

    static String str(Map<String, Object> m, String key) {
        Object v = need(m, key);
        if (!(v instanceof String)) {
            throw new PoseModelException("metadata field '" + key + "': expected a string, got " + v);
        }
        return (String) v;
    }

    static double num(Map<String, Object> m, String key) {
        Object v = need(m, key);
        if (!(v instanceof Double)) {
            throw new PoseModelException("metadata field '" + key + "': expected a number, got " + v);
        }
        return (Double) v;
    }

    static double positive(Map<String, Object> m, String key) {
        double v = num(m, key);
        if (!(v > 0)) {
            throw new PoseModelException("metadata field '" + key + "': expected a positive number, got " + v);
        }
        return v;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Map<String, Object> m, String key) {
        Object v = need(m, key);
        if (!(v instanceof Map)) {
            throw new PoseModelException("metadata field '" + key + "': expected an object");
        }
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> m, String key) {
        Object v = need(m, key);
        if (!(v instanceof List)) {
            throw new PoseModelException("metadata field '" + key + "': expected a list");
        }
        return (List<Object>) v;
    }
}
