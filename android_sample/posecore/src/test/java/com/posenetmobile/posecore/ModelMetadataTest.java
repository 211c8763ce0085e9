package com.posenetmobile.posecore;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import org.junit.Test;

/** Bad model files give descriptive exceptions, never a crash deeper in the app. */
public class ModelMetadataTest {
    static final String GOOD = "{\"schema_version\":1,\"head\":\"heatmap\",\"format\":\"int8\","
            + "\"input\":{\"size_hw\":[64,64],\"dtype\":\"uint8\",\"crop\":{\"crop_padding\":1.25}},"
            + "\"decode\":{\"method\":\"heatmap_offset\",\"stride\":4},"
            + "\"keypoints\":{\"names\":[\"a\",\"b\"],\"flip_index\":[1,0],\"skeleton\":[[0,1]]},"
            + "\"outputs\":[{\"index\":5,\"name\":\"heatmaps\",\"shape\":[1,16,16,2],\"dtype\":\"int8\","
            + "\"quantization\":{\"scale\":0.5,\"zero_point\":-3}}],"
            + "\"tracking\":{\"roi\":{\"min_score\":0.3,\"min_keypoints\":4},"
            + "\"smoothing\":{\"filter\":\"one_euro\",\"min_cutoff\":1.0,\"beta\":0.05,\"d_cutoff\":1.0}}}";

    static void expect(String json, String fragment) {
        try {
            ModelMetadata.parse(json);
            fail("expected an exception mentioning " + fragment);
        } catch (PoseModelException e) {
            assertTrue(e.getMessage() + " should mention " + fragment, e.getMessage().contains(fragment));
        }
    }

    @Test
    public void parsesAGoodDocument() {
        ModelMetadata m = ModelMetadata.parse(GOOD);
        assertEquals(64, m.inputHeight);
        assertEquals(2, m.numKeypoints());
        assertEquals(-3, m.output("heatmaps").zeroPoint);
        float[] f = PoseDecoder.dequantize(m.output("heatmaps"), new byte[] {-3, 1, (byte) 127});
        assertEquals(0f, f[0], 0f);
        assertEquals(2f, f[1], 0f);
        assertEquals(65f, f[2], 0f);
    }

    @Test
    public void sidecarHashTellsWhetherTheModelIsItsOwn() {
        assertEquals(null, ModelMetadata.parse(GOOD).matchesModel(java.nio.ByteBuffer.wrap(new byte[] {1})));
        // sha256("abc"), the FIPS 180-2 test vector
        String doc = GOOD.substring(0, GOOD.length() - 1)
                + ",\"tflite_sha256\":\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"}";
        ModelMetadata m = ModelMetadata.parse(doc);
        assertEquals(Boolean.TRUE, m.matchesModel(java.nio.ByteBuffer.wrap("abc".getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
        assertEquals(Boolean.FALSE, m.matchesModel(java.nio.ByteBuffer.wrap("abd".getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
    }

    @Test
    public void cropMethodIsBoxUnlessTheFileSaysAligned() {
        assertEquals(false, ModelMetadata.parse(GOOD).cropAligned);
        assertEquals(null, ModelMetadata.parse(GOOD).bodyTorso);  // names "a", "b": no torso
        String aligned = GOOD.replace("\"crop_padding\":1.25", "\"crop_padding\":1.25,\"method\":\"aligned\"");
        assertEquals(true, ModelMetadata.parse(aligned).cropAligned);
        expect(GOOD.replace("\"crop_padding\":1.25", "\"crop_padding\":1.25,\"method\":\"circle\""), "input.crop.method");
    }

    @Test
    public void missingMetadataIsDescriptive() {
        expect("", "no posenet_mobile metadata");
        expect("{\"a\":1}", "schema_version");
        expect("{not json", "metadata JSON");
    }

    @Test
    public void wrongInputTypeIsDescriptive() {
        expect(GOOD.replace("\"uint8\"", "\"int16\""), "input.dtype");
    }

    @Test
    public void missingFieldIsNamed() {
        expect(GOOD.replace("\"stride\":4", "\"strid\":4"), "stride");
    }

    @Test
    public void flipIndexIsCheckedAndRead() {
        assertEquals(1, ModelMetadata.parse(GOOD).flipIndex[0]);
        assertEquals(0, ModelMetadata.parse(GOOD).flipIndex[1]);
        expect(GOOD.replace("\"flip_index\":[1,0]", "\"flip_index\":[1]"), "keypoints.flip_index");
        expect(GOOD.replace("\"flip_index\":[1,0]", "\"flip_index\":[1,2]"), "keypoints.flip_index");
        expect(GOOD.replace("\"flip_index\":[1,0]", "\"flip_index\":[1,0.5]"), "keypoints.flip_index");
        expect(GOOD.replace("\"flip_index\":[1,0],", ""), "keypoints.flip_index");
    }

    @Test
    public void theFlipTestMirrorsEveryOutputBackAndAverages() {
        // two keypoints (a, b) that swap; heatmaps 1 x 2 x 3 cells, offsets interleaved dx, dy
        ModelMetadata m = ModelMetadata.parse(GOOD.replace("[1,16,16,2]", "[1,2,3,2]"));
        float[] hm = new float[12];
        for (int i = 0; i < hm.length; i++) hm[i] = i;
        float[] back = PoseDecoder.mirrorBack(m, "heatmaps", hm, new float[12]);
        // cell (y, x), keypoint j <- cell (y, 2 - x), keypoint 1 - j
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                for (int j = 0; j < 2; j++) {
                    assertEquals(hm[(y * 3 + 2 - x) * 2 + 1 - j], back[(y * 3 + x) * 2 + j], 0f);
                }
            }
        }
        float[] plain = hm.clone();
        PoseDecoder.flipTestMean(m, "heatmaps", plain, hm, new float[12]);
        for (int i = 0; i < 12; i++) assertEquals(0.5f * (hm[i] + back[i]), plain[i], 0f);
        try {
            PoseDecoder.mirrorBack(m, "embedding", hm, new float[12]);
            fail();
        } catch (PoseModelException e) {
            assertTrue(e.getMessage().contains("embedding"));
        }
    }

    @Test
    public void mirrorSwapsEachRowsPixels() {
        int[] px = {1, 2, 3, 4, 5, 6};
        Crop.mirror(px, 2, 3);
        assertTrue(java.util.Arrays.equals(new int[] {3, 2, 1, 6, 5, 4}, px));
    }

    @Test
    public void missingOutputIsNamed() {
        ModelMetadata m = ModelMetadata.parse(GOOD);
        try {
            PoseDecoder.decode(m, new java.util.HashMap<>());
            fail();
        } catch (PoseModelException e) {
            assertTrue(e.getMessage().contains("heatmaps"));
        }
    }
}
