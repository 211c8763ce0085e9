package com.posenetmobile.posecore;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The person detector's metadata document ({@code kind: person_detector}, written by
 * {@code posenet_mobile.export.detector}): what the phone needs to run it. Input size (uint8 RGB,
 * the whole frame letterboxed), the two int8 outputs with their quantization, and the decoding
 * settings for {@link DetectionDecoder}.
 */
public final class DetectorMetadata {
    public static final String KIND = "person_detector";

    public final int inputHeight;
    public final int inputWidth;
    public final int stride;
    public final double threshold;
    /** det_heatmap (1 x gh x gw x 1) and det_geometry (1 x gh x gw x 9). */
    public final ModelMetadata.Output heatmap;
    public final ModelMetadata.Output geometry;
    public final List<ModelMetadata.Output> outputs;
    /** The sidecar's {@code tflite_sha256}, or null (the embedded copy). */
    public final String tfliteSha256;

    @SuppressWarnings("unchecked")
    private DetectorMetadata(Map<String, Object> doc) {
        Object version = doc.get("schema_version");
        if (!(version instanceof Double) || ((Double) version).intValue() != ModelMetadata.SCHEMA_VERSION) {
            throw new PoseModelException("detector metadata field 'schema_version': expected "
                    + ModelMetadata.SCHEMA_VERSION + ", got " + version);
        }
        if (!KIND.equals(doc.get("kind"))) {
            throw new PoseModelException("metadata field 'kind': expected " + KIND + ", got " + doc.get("kind")
                    + " (a pose model is not a person detector)");
        }
        Map<String, Object> input = ModelMetadata.obj(doc, "input");
        List<Object> size = ModelMetadata.list(input, "input.size_hw");
        if (size.size() != 2) {
            throw new PoseModelException("metadata field 'input.size_hw': expected [height, width]");
        }
        inputHeight = ((Double) size.get(0)).intValue();
        inputWidth = ((Double) size.get(1)).intValue();
        if (!"uint8".equals(input.get("dtype"))) {
            throw new PoseModelException("metadata field 'input.dtype': expected uint8, got " + input.get("dtype"));
        }
        Map<String, Object> decode = ModelMetadata.obj(doc, "decode");
        if (!"center_alignment".equals(decode.get("method"))) {
            throw new PoseModelException("metadata field 'decode.method': expected center_alignment, got " + decode.get("method"));
        }
        stride = (int) ModelMetadata.num(decode, "decode.stride");
        threshold = ModelMetadata.num(decode, "decode.threshold");
        if (ModelMetadata.list(decode, "decode.geometry").size() != DetectionDecoder.GEOMETRY_CHANNELS) {
            throw new PoseModelException("metadata field 'decode.geometry': expected "
                    + DetectionDecoder.GEOMETRY_CHANNELS + " channels");
        }
        List<ModelMetadata.Output> outs = new ArrayList<>();
        ModelMetadata.Output heat = null, geo = null;
        for (Object o : ModelMetadata.list(doc, "outputs")) {
            Map<String, Object> m = (Map<String, Object>) o;
            List<Object> sh = ModelMetadata.list(m, "outputs[].shape");
            int[] shape = new int[sh.size()];
            for (int k = 0; k < shape.length; k++) shape[k] = ((Double) sh.get(k)).intValue();
            Map<String, Object> q = ModelMetadata.obj(m, "outputs[].quantization");
            ModelMetadata.Output out = new ModelMetadata.Output((int) ModelMetadata.num(m, "outputs[].index"),
                    String.valueOf(ModelMetadata.need(m, "outputs[].name")), shape, "int8", (float) ModelMetadata.num(q, "outputs[].quantization.scale"),
                    (int) ModelMetadata.num(q, "outputs[].quantization.zero_point"));
            if ("det_heatmap".equals(out.name)) heat = out;
            if ("det_geometry".equals(out.name)) geo = out;
            outs.add(out);
        }
        if (heat == null || geo == null) {
            throw new PoseModelException("metadata field 'outputs': expected det_heatmap and det_geometry");
        }
        heatmap = heat;
        geometry = geo;
        outputs = Collections.unmodifiableList(outs);
        Object sha = doc.get("tflite_sha256");
        tfliteSha256 = sha instanceof String ? (String) sha : null;
    }

    /** Parse and check a detector's metadata document. */
    @SuppressWarnings("unchecked")
    public static DetectorMetadata parse(String json) {
        if (json == null || json.trim().isEmpty()) {
            throw new PoseModelException("person detector has no metadata: export it with posenet_mobile");
        }
        Object doc = Json.parse(json);
        if (!(doc instanceof Map)) {
            throw new PoseModelException("detector metadata: expected a JSON object");
        }
        return new DetectorMetadata((Map<String, Object>) doc);
    }

    /** Cells of the output grid: {gh, gw}. */
    public int[] grid() {
        return new int[] {heatmap.shape[1], heatmap.shape[2]};
    }

    /** As {@link ModelMetadata#matchesModel}: TRUE or FALSE by the sidecar's sha256, null without one. */
    public Boolean matchesModel(java.nio.ByteBuffer model) {
        return ModelMetadata.sha256Matches(tfliteSha256, model);
    }
}
