package com.posenetmobile.posecore;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.Test;

/**
 * posecore against the Python harness: golden vectors written by {@code posenet-mobile golden}
 * into the folder named by the system property {@code golden.dir}. {@code golden.require} lists
 * decode methods that must be covered (comma-separated).
 */
public class GoldenTest {
    static final double TOL_PX = 1e-4;

    static File dir() {
        String d = System.getProperty("golden.dir");
        if (d == null) {
            fail("set -Dgolden.dir to the folder written by posenet-mobile golden");
        }
        return new File(d);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> load(File f) throws IOException {
        return (Map<String, Object>) Json.parse(new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8));
    }

    static double d(Object o) {
        return (Double) o;
    }

    @SuppressWarnings("unchecked")
    static List<Object> l(Object o) {
        return (List<Object>) o;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> m(Object o) {
        return (Map<String, Object>) o;
    }

    static Crop crop(List<Object> c) {
        return new Crop(d(c.get(0)), d(c.get(1)), d(c.get(2)), d(c.get(3)), d(c.get(4)), d(c.get(5)) != 0.0);
    }

    static String toJson(Object o) {
        if (o instanceof Map) {
            StringBuilder b = new StringBuilder("{");
            for (Map.Entry<String, Object> e : m(o).entrySet()) {
                if (b.length() > 1) b.append(',');
                b.append('"').append(e.getKey()).append("\":").append(toJson(e.getValue()));
            }
            return b.append('}').toString();
        }
        if (o instanceof List) {
            StringBuilder b = new StringBuilder("[");
            for (Object v : l(o)) {
                if (b.length() > 1) b.append(',');
                b.append(toJson(v));
            }
            return b.append(']').toString();
        }
        if (o instanceof String) return "\"" + ((String) o).replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        return String.valueOf(o);
    }

    static Object buffer(Map<String, Object> t) {
        String dtype = (String) t.get("dtype");
        List<Object> data = l(t.get("data"));
        if (dtype.equals("int8") || dtype.equals("uint8")) {
            byte[] b = new byte[data.size()];
            for (int i = 0; i < b.length; i++) b[i] = (byte) (int) d(data.get(i));
            return b;
        }
        float[] f = new float[data.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) d(data.get(i));
        return f;
    }

    @Test
    public void keypointsMatchThePythonHarnessForEveryModel() throws IOException {
        File[] files = dir().listFiles((x, n) -> n.endsWith(".golden.json") && !n.startsWith("tracking"));
        assertTrue("no golden model files in " + dir(), files != null && files.length > 0);
        Set<String> methods = new HashSet<>();
        int cases = 0;
        double worst = 0;
        for (File f : files) {
            Map<String, Object> doc = load(f);
            ModelMetadata meta = ModelMetadata.parse(toJson(doc.get("metadata")));
            methods.add(meta.decodeMethod);
            // the app's per-frame path: one float array per output and one result, reused by every case
            Map<String, Object> reused = new HashMap<>();
            Keypoints reusedImg = new Keypoints(meta.numKeypoints());
            for (Object co : l(doc.get("cases"))) {
                Map<String, Object> c = m(co);
                Map<String, Object> raw = new HashMap<>();
                for (Map.Entry<String, Object> e : m(c.get("outputs")).entrySet()) raw.put(e.getKey(), buffer(m(e.getValue())));
                Keypoints in = PoseDecoder.decode(meta, raw);
                Crop cr = crop(l(c.get("crop")));
                Keypoints img = in.toImage(cr, meta.inputHeight, meta.inputWidth);
                for (Map.Entry<String, Object> e : raw.entrySet()) {
                    ModelMetadata.Output o = meta.output(e.getKey());
                    if (o == null) continue;
                    float[] into = (float[]) reused.get(e.getKey());
                    if (into == null) {
                        into = PoseDecoder.dequantize(o, e.getValue()).clone();
                        reused.put(e.getKey(), into);
                    }
                    PoseDecoder.dequantize(o, e.getValue(), into);
                }
                PoseDecoder.decode(meta, reused).toImage(cr, meta.inputHeight, meta.inputWidth, reusedImg);
                for (int k = 0; k < meta.numKeypoints(); k++) {
                    String where = f.getName() + " case " + cases + " keypoint " + k + " (reused buffers)";
                    assertEquals(where, img.x[k], reusedImg.x[k], 0.0);
                    assertEquals(where, img.y[k], reusedImg.y[k], 0.0);
                    assertEquals(where, img.score[k], reusedImg.score[k], 0.0);
                }
                worst = Math.max(worst, assertKeypoints(f.getName() + " case " + cases, meta, c, in, img));
                cases++;
            }
        }
        String required = System.getProperty("golden.require", "");
        for (String r : required.split(",")) {
            if (!r.isEmpty()) assertTrue("golden vectors for decode method " + r + " missing (have " + methods + ")", methods.contains(r));
        }
        System.out.printf("posecore golden: %d files, %d cases, methods %s, worst image-pixel difference %.2e%n",
                files.length, cases, methods, worst);
    }

    /**
     * A golden case's keypoints_input and keypoints_image against posecore's, to TOL_PX (scores to
     * 1e-5); returns the largest image-pixel difference.
     */
    static double assertKeypoints(String what, ModelMetadata meta, Map<String, Object> c, Keypoints in, Keypoints img) {
        List<Object> expIn = l(c.get("keypoints_input")), expImg = l(c.get("keypoints_image"));
        double worst = 0;
        for (int k = 0; k < meta.numKeypoints(); k++) {
            List<Object> a = l(expIn.get(k)), b = l(expImg.get(k));
            String where = what + " keypoint " + meta.keypointNames.get(k);
            assertEquals(where + " x (input)", d(a.get(0)), in.x[k], TOL_PX);
            assertEquals(where + " y (input)", d(a.get(1)), in.y[k], TOL_PX);
            assertEquals(where + " x (image)", d(b.get(0)), img.x[k], TOL_PX);
            assertEquals(where + " y (image)", d(b.get(1)), img.y[k], TOL_PX);
            assertEquals(where + " score", d(a.get(2)), in.score[k], 1e-5);
            worst = Math.max(worst, Math.max(Math.abs(d(b.get(0)) - img.x[k]), Math.abs(d(b.get(1)) - img.y[k])));
        }
        return worst;
    }

    static Map<String, Object> buffers(Map<String, Object> outputs) {
        Map<String, Object> raw = new HashMap<>();
        for (Map.Entry<String, Object> e : outputs.entrySet()) raw.put(e.getKey(), buffer(m(e.getValue())));
        return raw;
    }

    @Test
    public void theFlipTestMatchesThePythonHarnessForEveryModel() throws IOException {
        File[] files = dir().listFiles((x, n) -> n.endsWith(".golden.json") && !n.startsWith("tracking"));
        assertTrue("no golden model files in " + dir(), files != null && files.length > 0);
        int cases = 0;
        double worstMean = 0;
        for (File f : files) {
            Map<String, Object> doc = load(f);
            ModelMetadata meta = ModelMetadata.parse(toJson(doc.get("metadata")));
            List<Object> flipCases = l(doc.get("flip_test_cases"));
            assertTrue(f.getName() + ": no flip-test cases", flipCases != null && !flipCases.isEmpty());
            for (Object co : flipCases) {
                Map<String, Object> c = m(co);
                Map<String, Object> raw = buffers(m(c.get("outputs")));
                Map<String, Object> rawMirrored = buffers(m(c.get("mirrored_outputs")));
                // every element of the mean, as the harness formed it (the mirror mapping, index by index)
                for (Map.Entry<String, Object> e : m(c.get("mean_outputs")).entrySet()) {
                    ModelMetadata.Output o = meta.output(e.getKey());
                    float[] plain = PoseDecoder.dequantize(o, raw.get(e.getKey())).clone();
                    float[] mirrored = PoseDecoder.dequantize(o, rawMirrored.get(e.getKey()));
                    PoseDecoder.flipTestMean(meta, e.getKey(), plain, mirrored, new float[plain.length]);
                    List<Object> exp = l(m(e.getValue()).get("data"));
                    assertEquals(f.getName() + " " + e.getKey() + " length", exp.size(), plain.length);
                    for (int i = 0; i < plain.length; i++) {
                        double diff = Math.abs(d(exp.get(i)) - plain[i]);
                        worstMean = Math.max(worstMean, diff);
                        assertEquals(f.getName() + " flip case " + cases + " " + e.getKey() + "[" + i + "]", d(exp.get(i)), plain[i], 1e-6);
                    }
                }
                Keypoints in = PoseDecoder.decodeFlipTest(meta, raw, rawMirrored);
                Keypoints img = in.toImage(crop(l(c.get("crop"))), meta.inputHeight, meta.inputWidth);
                assertKeypoints(f.getName() + " flip case " + cases, meta, c, in, img);
                cases++;
            }
        }
        System.out.printf("posecore flip test: %d files, %d cases, worst difference of the mean outputs %.2e%n",
                files.length, cases, worstMean);
    }

    @Test
    public void transformsAndInversesMatchPython() throws IOException {
        Map<String, Object> doc = load(new File(dir(), "tracking.golden.json"));
        for (Object o : l(doc.get("transforms"))) {
            Map<String, Object> t = m(o);
            Crop c = crop(l(t.get("crop")));
            List<Object> hw = l(t.get("input_hw"));
            int h = (int) d(hw.get(0)), w = (int) d(hw.get(1));
            List<Object> pts = l(t.get("image_points")), exp = l(t.get("input_points"));
            for (int i = 0; i < pts.size(); i++) {
                List<Object> p = l(pts.get(i)), e = l(exp.get(i));
                double[] q = c.toInput(h, w, d(p.get(0)), d(p.get(1)));
                assertEquals(d(e.get(0)), q[0], 1e-9);
                assertEquals(d(e.get(1)), q[1], 1e-9);
                double[] back = c.toImage(h, w, q[0], q[1]);
                assertEquals(d(p.get(0)), back[0], 1e-9);
                assertEquals(d(p.get(1)), back[1], 1e-9);
            }
        }
        for (Object o : l(doc.get("boxes"))) {
            Map<String, Object> t = m(o);
            List<Object> b = l(t.get("box")), hw = l(t.get("input_hw")), exp = l(t.get("crop"));
            Crop c = Crop.fromBox(d(b.get(0)), d(b.get(1)), d(b.get(2)), d(b.get(3)), (int) d(hw.get(0)), (int) d(hw.get(1)), d(t.get("padding")));
            double[] got = {c.cx, c.cy, c.width, c.height};
            for (int i = 0; i < 4; i++) assertEquals(d(exp.get(i)), got[i], 1e-9);
        }
    }

    @Test
    public void alignmentsAndAlignedCropsMatchPython() throws IOException {
        Map<String, Object> doc = load(new File(dir(), "tracking.golden.json"));
        int found = 0, none = 0;
        for (Object o : l(doc.get("alignments"))) {
            Map<String, Object> t = m(o);
            List<Object> kps = l(t.get("keypoints")), val = l(t.get("valid")), tor = l(t.get("torso"));
            double[] x = new double[kps.size()], y = new double[kps.size()];
            boolean[] valid = new boolean[kps.size()];
            for (int k = 0; k < x.length; k++) {
                x[k] = d(l(kps.get(k)).get(0));
                y[k] = d(l(kps.get(k)).get(1));
                valid[k] = (Boolean) val.get(k);
            }
            int[] torso = new int[4];
            for (int i = 0; i < 4; i++) torso[i] = (int) d(tor.get(i));
            Alignment a = Alignment.fromKeypoints(x, y, valid, torso);
            if (t.get("alignment") == null) {
                assertNull(a);
                none++;
                continue;
            }
            List<Object> e = l(t.get("alignment"));
            double[] got = {a.cx, a.cy, a.radius, a.angle};
            for (int i = 0; i < 4; i++) assertEquals(d(e.get(i)), got[i], 1e-9);
            List<Object> hw = l(t.get("input_hw")), ec = l(t.get("crop"));
            Crop c = Crop.aligned(a, (int) d(hw.get(0)), (int) d(hw.get(1)), d(t.get("padding")));
            double[] gc = {c.cx, c.cy, c.width, c.height, c.rotation};
            for (int i = 0; i < 5; i++) assertEquals(d(ec.get(i)), gc[i], 1e-9);
            found++;
        }
        assertTrue("the cases should include a person without alignment and some with", none > 0 && found > 0);
    }

    @Test
    public void theInputWarpMatchesOpenCvWithinOneLevel() throws IOException {
        Map<String, Object> doc = load(new File(dir(), "tracking.golden.json"));
        List<Object> rows = l(doc.get("warp_frame"));
        int h = rows.size(), w = l(rows.get(0)).size();
        int[] frame = new int[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                List<Object> p = l(l(rows.get(y)).get(x));
                frame[y * w + x] = 0xff000000 | ((int) d(p.get(0)) << 16) | ((int) d(p.get(1)) << 8) | (int) d(p.get(2));
            }
        }
        int worst = 0, cases = 0;
        for (Object o : l(doc.get("warps"))) {
            Map<String, Object> t = m(o);
            List<Object> hw = l(t.get("input_hw")), exp = l(t.get("output"));
            int ih = (int) d(hw.get(0)), iw = (int) d(hw.get(1));
            int[] out = new int[ih * iw];
            crop(l(t.get("crop"))).warp(frame, w, h, ih, iw, out);
            // the flip test's second input: Crop.mirror against the harness's patch[:, ::-1]
            int[] mirrored = out.clone();
            Crop.mirror(mirrored, ih, iw);
            List<Object> expMirrored = l(t.get("mirrored"));
            for (int i = 0; i < ih; i++) {
                for (int j = 0; j < iw; j++) {
                    List<Object> e = l(l(exp.get(i)).get(j)), em = l(l(expMirrored.get(i)).get(j));
                    int p = out[i * iw + j], pm = mirrored[i * iw + j];
                    assertEquals("mirrored pixel " + i + "," + j, out[i * iw + iw - 1 - j], pm);
                    int[] got = {(p >> 16) & 0xff, (p >> 8) & 0xff, p & 0xff};
                    int[] gotM = {(pm >> 16) & 0xff, (pm >> 8) & 0xff, pm & 0xff};
                    for (int c = 0; c < 3; c++) {
                        worst = Math.max(worst, Math.abs(got[c] - (int) d(e.get(c))));
                        worst = Math.max(worst, Math.abs(gotM[c] - (int) d(em.get(c))));
                    }
                }
            }
            Crop.mirror(mirrored, ih, iw);
            assertTrue("mirroring twice gives the input back", java.util.Arrays.equals(out, mirrored));
            cases++;
        }
        // OpenCV interpolates 8-bit images with 1/32-pixel fixed-point weights; posecore in doubles
        assertTrue("posecore's warp differs from OpenCV's by " + worst + " levels", worst <= 1);
        assertTrue(cases == 3);
        System.out.printf("posecore warp: %d crops, worst difference from OpenCV %d level(s)%n", cases, worst);
    }

    @Test
    public void detectorDecodingMatchesPython() throws IOException {
        Map<String, Object> doc = load(new File(dir(), "tracking.golden.json"));
        int people = 0;
        for (Object o : l(doc.get("detections"))) {
            Map<String, Object> t = m(o);
            List<Object> hw = l(t.get("input_hw")), rows = l(t.get("heatmap")), geoRows = l(t.get("geometry"));
            int stride = (int) d(t.get("stride"));
            int gh = rows.size(), gw = l(rows.get(0)).size();
            float[] heat = new float[gh * gw];
            float[] geo = new float[gh * gw * DetectionDecoder.GEOMETRY_CHANNELS];
            for (int v = 0; v < gh; v++) {
                for (int u = 0; u < gw; u++) {
                    heat[v * gw + u] = (float) d(l(rows.get(v)).get(u));
                    List<Object> g = l(l(geoRows.get(v)).get(u));
                    for (int c = 0; c < DetectionDecoder.GEOMETRY_CHANNELS; c++) {
                        geo[(v * gw + u) * DetectionDecoder.GEOMETRY_CHANNELS + c] = (float) d(g.get(c));
                    }
                }
            }
            List<DetectionDecoder.Detection> got = DetectionDecoder.decode(
                    heat, geo, gh, gw, stride, d(t.get("threshold")), (int) d(t.get("max_people")));
            List<Object> exp = l(t.get("detections"));
            assertEquals(exp.size(), got.size());
            Crop crop = crop(l(t.get("letterbox_crop")));
            for (int i = 0; i < exp.size(); i++) {
                Map<String, Object> e = m(exp.get(i));
                DetectionDecoder.Detection g = got.get(i);
                assertEquals(d(e.get("score")), g.score, 1e-6);
                List<Object> a = l(e.get("alignment")), b = l(e.get("box"));
                double[] ga = {g.alignment.cx, g.alignment.cy, g.alignment.radius, g.alignment.angle};
                for (int k = 0; k < 4; k++) assertEquals(d(a.get(k)), ga[k], 1e-4);
                for (int k = 0; k < 4; k++) assertEquals(d(b.get(k)), g.box[k], 1e-4);
                DetectionDecoder.Detection f = DetectionDecoder.toFrame(g, crop, (int) d(hw.get(0)), (int) d(hw.get(1)));
                List<Object> fa = l(m(e.get("frame")).get("alignment")), fb = l(m(e.get("frame")).get("box"));
                double[] gfa = {f.alignment.cx, f.alignment.cy, f.alignment.radius, f.alignment.angle};
                for (int k = 0; k < 4; k++) assertEquals(d(fa.get(k)), gfa[k], 1e-4);
                for (int k = 0; k < 4; k++) assertEquals(d(fb.get(k)), f.box[k], 1e-4);
                assertPoseCrops(m(e.get("frame")), f, m(doc.get("pose_crop")));
                people++;
            }
        }
        assertTrue("the cases should decode some people", people >= 3);
    }

    /** The person box and both crop rules' pose crops of a frame detection, against Python's. */
    static void assertPoseCrops(Map<String, Object> e, DetectionDecoder.Detection f, Map<String, Object> pose) {
        List<Object> hw = l(pose.get("input_hw"));
        int h = (int) d(hw.get(0)), w = (int) d(hw.get(1));
        double pad = d(pose.get("padding"));
        double[] pb = DetectionDecoder.personBox(f);
        List<Object> want = l(e.get("person_box"));
        for (int k = 0; k < 4; k++) assertEquals(d(want.get(k)), pb[k], 1e-4);
        String[] rules = {"pose_crop_box", "pose_crop_aligned"};
        for (int r = 0; r < 2; r++) {
            Crop got = DetectionDecoder.poseCrop(f, r == 1, h, w, pad);
            Crop exp = crop(l(e.get(rules[r])));
            double[] g = {got.cx, got.cy, got.width, got.height, got.rotation};
            double[] x = {exp.cx, exp.cy, exp.width, exp.height, exp.rotation};
            for (int k = 0; k < 5; k++) assertEquals(rules[r], x[k], g[k], 1e-4);
            assertEquals(exp.flip, got.flip);
        }
        List<Object> views = l(e.get("pose_crop_views"));
        List<Crop> turned = DetectionDecoder.viewCrops(f, h, w, pad);
        assertEquals(views.size(), turned.size());
        for (int v = 0; v < views.size(); v++) {
            Crop got = turned.get(v), exp = crop(l(views.get(v)));
            double[] g = {got.cx, got.cy, got.width, got.height, got.rotation};
            double[] x = {exp.cx, exp.cy, exp.width, exp.height, exp.rotation};
            for (int k = 0; k < 5; k++) assertEquals("pose_crop_views", x[k], g[k], 1e-4);
        }
    }

    @Test
    public void viewsAndTheSurestKeypointsMatchPython() throws IOException {
        Map<String, Object> doc = load(new File(dir(), "tracking.golden.json"));
        List<Object> turns = l(doc.get("view_turns"));
        assertEquals(turns.size(), DetectionDecoder.VIEW_TURNS.length);
        for (int i = 0; i < turns.size(); i++) assertEquals(d(turns.get(i)), DetectionDecoder.VIEW_TURNS[i], 0.0);
        int cases = 0;
        for (Object o : l(doc.get("most_confident"))) {
            Map<String, Object> e = m(o);
            List<Object> kps = l(e.get("keypoints")), scs = l(e.get("scores"));
            List<Keypoints> poses = new ArrayList<>();
            for (int p = 0; p < kps.size(); p++) {
                List<Object> kp = l(kps.get(p)), sc = l(scs.get(p));
                Keypoints pose = new Keypoints(kp.size());
                for (int k = 0; k < kp.size(); k++) {
                    pose.x[k] = d(l(kp.get(k)).get(0));
                    pose.y[k] = d(l(kp.get(k)).get(1));
                    pose.score[k] = d(sc.get(k));
                }
                poses.add(pose);
            }
            Keypoints got = Keypoints.mostConfident(poses);
            List<Object> wk = l(e.get("picked_keypoints")), ws = l(e.get("picked_scores"));
            for (int k = 0; k < got.size(); k++) {
                assertEquals(d(l(wk.get(k)).get(0)), got.x[k], 0.0);
                assertEquals(d(l(wk.get(k)).get(1)), got.y[k], 0.0);
                assertEquals(d(ws.get(k)), got.score[k], 0.0);
            }
            cases++;
        }
        assertEquals(3, cases);
    }

    @Test
    public void aDetectionWithoutABoxGivesTheSquareAboutItsCircle() throws IOException {
        Map<String, Object> doc = load(new File(dir(), "tracking.golden.json"));
        int cases = 0;
        for (Object o : l(doc.get("flat_detections"))) {
            Map<String, Object> e = m(o);
            List<Object> a = l(e.get("alignment")), b = l(e.get("box"));
            DetectionDecoder.Detection det = new DetectionDecoder.Detection(d(e.get("score")),
                    new Alignment(d(a.get(0)), d(a.get(1)), d(a.get(2)), d(a.get(3))),
                    new double[] {d(b.get(0)), d(b.get(1)), d(b.get(2)), d(b.get(3))});
            assertPoseCrops(m(e.get("frame")), det, m(doc.get("pose_crop")));
            cases++;
        }
        assertEquals(2, cases);
    }

    @Test
    public void detectorMetadataReadsTheExportersDocument() throws IOException {
        Map<String, Object> doc = m(load(new File(dir(), "tracking.golden.json")).get("detector_metadata"));
        DetectorMetadata meta = DetectorMetadata.parse(toJson(doc));
        assertEquals(160, meta.inputHeight);
        assertEquals(160, meta.inputWidth);
        assertEquals(8, meta.stride);
        assertEquals(0.3, meta.threshold, 1e-12);
        assertEquals(2, meta.heatmap.index);
        assertEquals(3, meta.geometry.index);
        assertEquals(-128, meta.heatmap.zeroPoint);
        assertEquals(0.05f, meta.geometry.scale, 0f);
        assertEquals(20, meta.grid()[0]);
        assertEquals(20, meta.grid()[1]);
        assertEquals(null, meta.matchesModel(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3})));
        // a pose model's document is refused with the field that tells them apart
        Map<String, Object> pose = new java.util.HashMap<>(doc);
        pose.remove("kind");
        try {
            DetectorMetadata.parse(toJson(pose));
            fail("a document without kind: person_detector was accepted");
        } catch (PoseModelException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("'kind'"));
        }
        Map<String, Object> decode = new java.util.HashMap<>(m(doc.get("decode")));
        decode.remove("threshold");
        Map<String, Object> noThreshold = new java.util.HashMap<>(doc);
        noThreshold.put("decode", decode);
        try {
            DetectorMetadata.parse(toJson(noThreshold));
            fail("a document without decode.threshold was accepted");
        } catch (PoseModelException e) {
            assertTrue(e.getMessage(), e.getMessage().contains("'decode.threshold'"));
        }
    }

    @Test
    public void oneEuroFilterMatchesPython() throws IOException {
        Map<String, Object> e = m(load(new File(dir(), "tracking.golden.json")).get("one_euro"));
        OneEuroFilter f = new OneEuroFilter(d(e.get("min_cutoff")), d(e.get("beta")), d(e.get("d_cutoff")));
        // the same filter written in place, as the app's per-frame path uses it
        OneEuroFilter g = new OneEuroFilter(d(e.get("min_cutoff")), d(e.get("beta")), d(e.get("d_cutoff")));
        List<Object> t = l(e.get("t")), x = l(e.get("x")), y = l(e.get("y"));
        double[] inPlace = new double[l(x.get(0)).size()];
        for (int i = 0; i < t.size(); i++) {
            List<Object> xi = l(x.get(i)), yi = l(y.get(i));
            double[] in = new double[xi.size()];
            for (int j = 0; j < in.length; j++) in[j] = d(xi.get(j));
            System.arraycopy(in, 0, inPlace, 0, in.length);
            double[] out = f.filter(in, d(t.get(i)));
            g.filter(inPlace, d(t.get(i)), inPlace);
            for (int j = 0; j < in.length; j++) {
                assertEquals("step " + i, d(yi.get(j)), out[j], 1e-9);
                assertEquals("step " + i + " (in place)", out[j], inPlace[j], 0.0);
            }
        }
    }

    @Test
    public void roiTrackerMatchesPython() throws IOException {
        Map<String, Object> r = m(load(new File(dir(), "tracking.golden.json")).get("roi"));
        List<Object> tor = l(r.get("torso"));
        int[] torso = new int[4];
        for (int i = 0; i < 4; i++) torso[i] = (int) d(tor.get(i));
        RoiTracker tr = new RoiTracker(d(r.get("min_score")), (int) d(r.get("min_keypoints")), torso);
        int lost = 0, aligned = 0;
        for (Object o : l(r.get("steps"))) {
            Map<String, Object> s = m(o);
            List<Object> kps = l(s.get("keypoints"));
            Keypoints kp = new Keypoints(kps.size());
            for (int k = 0; k < kps.size(); k++) {
                List<Object> p = l(kps.get(k));
                kp.x[k] = d(p.get(0));
                kp.y[k] = d(p.get(1));
                kp.score[k] = d(p.get(2));
            }
            double[] box = tr.update(kp);
            Object exp = s.get("box");
            if (exp == null) {
                assertNull(box);
                lost++;
            } else {
                List<Object> e = l(exp);
                for (int i = 0; i < 4; i++) assertEquals(d(e.get(i)), box[i], 1e-9);
            }
            Object ea = s.get("alignment");
            Alignment a = tr.alignment();
            if (ea == null) {
                assertNull(a);
            } else {
                List<Object> e = l(ea);
                double[] got = {a.cx, a.cy, a.radius, a.angle};
                for (int i = 0; i < 4; i++) assertEquals(d(e.get(i)), got[i], 1e-9);
                aligned++;
            }
        }
        assertTrue("the sequence should include a lost pose and an aligned one", lost > 0 && aligned > 0);
    }
}
