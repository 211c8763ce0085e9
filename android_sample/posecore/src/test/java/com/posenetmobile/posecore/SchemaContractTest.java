package com.posenetmobile.posecore;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/**
 * The phone reads nothing that the metadata's JSON Schema does not promise. The schema
 * ({@code posenet_mobile/spec/metadata.schema.json}, folder given as {@code -Dspec.dir}) is what
 * the Python side checks every export against; here every field of the example document and of
 * each golden model's sidecar is deleted in turn, and wherever {@link ModelMetadata} then
 * refuses the document, the schema must list that field as required.
 */
public class SchemaContractTest {
    static File specDir() {
        String d = System.getProperty("spec.dir");
        if (d == null) {
            fail("set -Dspec.dir to posenet_mobile/spec");
        }
        return new File(d);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> load(File f) throws IOException {
        return (Map<String, Object>) Json.parse(new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8));
    }

    @SuppressWarnings("unchecked")
    static Object copy(Object v) {
        if (v instanceof Map) {
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
                out.put(e.getKey(), copy(e.getValue()));
            }
            return out;
        }
        if (v instanceof List) {
            List<Object> out = new ArrayList<>();
            for (Object o : (List<Object>) v) {
                out.add(copy(o));
            }
            return out;
        }
        return v;
    }

    /** Every object key's path in {@code v} (a list: its first entry only). */
    @SuppressWarnings("unchecked")
    static void paths(Object v, List<Object> prefix, List<List<Object>> out) {
        if (v instanceof Map) {
            for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
                List<Object> p = new ArrayList<>(prefix);
                p.add(e.getKey());
                out.add(p);
                paths(e.getValue(), p, out);
            }
        } else if (v instanceof List && !((List<Object>) v).isEmpty()) {
            List<Object> p = new ArrayList<>(prefix);
            p.add(0);
            paths(((List<Object>) v).get(0), p, out);
        }
    }

    @SuppressWarnings("unchecked")
    static Object at(Object v, Object seg) {
        return seg instanceof Integer ? ((List<Object>) v).get((Integer) seg) : ((Map<String, Object>) v).get(seg);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> deref(Map<String, Object> schema, Map<String, Object> node) {
        Object ref = node.get("$ref");
        if (ref == null) {
            return node;
        }
        String name = ((String) ref).substring("#/$defs/".length());
        return (Map<String, Object>) ((Map<String, Object>) schema.get("$defs")).get(name);
    }

    /** Whether {@code doc} satisfies an {@code if} of the form the schema uses: properties with enum or const. */
    @SuppressWarnings("unchecked")
    static boolean matches(Map<String, Object> cond, Object doc) {
        if (!(doc instanceof Map)) {
            return false;
        }
        for (Map.Entry<String, Object> e : ((Map<String, Object>) cond.get("properties")).entrySet()) {
            Map<String, Object> c = (Map<String, Object>) e.getValue();
            Object v = ((Map<String, Object>) doc).get(e.getKey());
            if (c.containsKey("const") && !c.get("const").equals(v)) {
                return false;
            }
            if (c.containsKey("enum") && !((List<Object>) c.get("enum")).contains(v)) {
                return false;
            }
        }
        return true;
    }

    /** Whether the schema node {@code node}, applied to {@code doc}, requires the field at {@code path}. */
    @SuppressWarnings("unchecked")
    static boolean required(Map<String, Object> schema, Map<String, Object> node, Object doc, List<Object> path) {
        node = deref(schema, node);
        List<Map<String, Object>> branches = new ArrayList<>();
        branches.add(node);
        for (Object b : (List<Object>) node.getOrDefault("allOf", new ArrayList<>())) {
            Map<String, Object> bm = (Map<String, Object>) b;
            if (matches((Map<String, Object>) bm.get("if"), doc)) {
                branches.add((Map<String, Object>) bm.get("then"));
            }
        }
        Object seg = path.get(0);
        List<Object> rest = path.subList(1, path.size());
        for (Map<String, Object> b : branches) {
            if (seg instanceof Integer) {
                Object items = b.get("items");
                if (items != null && !rest.isEmpty()
                        && required(schema, (Map<String, Object>) items, at(doc, seg), rest)) {
                    return true;
                }
                continue;
            }
            if (rest.isEmpty()) {
                if (((List<Object>) b.getOrDefault("required", new ArrayList<>())).contains(seg)) {
                    return true;
                }
                continue;
            }
            Map<String, Object> props = (Map<String, Object>) b.getOrDefault("properties", new LinkedHashMap<>());
            if (props.containsKey(seg)
                    && required(schema, (Map<String, Object>) props.get(seg), at(doc, seg), rest)) {
                return true;
            }
        }
        return false;
    }

    @SuppressWarnings("unchecked")
    static int check(Map<String, Object> schema, Map<String, Object> doc, String name) {
        ModelMetadata.of(doc);  // the document itself is accepted
        List<List<Object>> all = new ArrayList<>();
        paths(doc, new ArrayList<>(), all);
        int refused = 0;
        for (List<Object> p : all) {
            Map<String, Object> bad = (Map<String, Object>) copy(doc);
            Object parent = bad;
            for (Object seg : p.subList(0, p.size() - 1)) {
                parent = at(parent, seg);
            }
            ((Map<String, Object>) parent).remove(p.get(p.size() - 1));
            boolean accepted;
            try {
                ModelMetadata.of(bad);
                accepted = true;
            } catch (RuntimeException e) {
                accepted = false;
            }
            if (!accepted) {
                refused++;
                assertTrue(name + ": ModelMetadata needs " + p + " but the schema does not require it",
                        required(schema, schema, doc, p));
            }
        }
        return refused;
    }

    @Test
    public void theReaderNeedsOnlyWhatTheSchemaRequires() throws IOException {
        Map<String, Object> schema = load(new File(specDir(), "metadata.schema.json"));
        Map<String, Object> example = load(new File(specDir(), "metadata.example.json"));
        assertEquals("heatmap_offset_sides", ModelMetadata.of(example).decodeMethod);
        assertTrue(check(schema, example, "metadata.example.json") >= 10);
        String golden = System.getProperty("golden.dir");
        File[] sidecars = golden == null ? null : new File(golden, "models").listFiles((d, n) -> n.endsWith(".tflite.json"));
        if (sidecars != null) {
            for (File f : sidecars) {
                check(schema, load(f), f.getName());
            }
        }
    }

    @Test
    public void theSchemaNamesTheDecodeMethodsThePhoneDecodes() throws IOException {
        Map<String, Object> schema = load(new File(specDir(), "metadata.schema.json"));
        @SuppressWarnings("unchecked")
        Map<String, Object> decode = (Map<String, Object>) ((Map<String, Object>) schema.get("properties")).get("decode");
        @SuppressWarnings("unchecked")
        Map<String, Object> method = (Map<String, Object>) ((Map<String, Object>) decode.get("properties")).get("method");
        @SuppressWarnings("unchecked")
        List<Object> methods = (List<Object>) method.get("enum");
        for (String m : new String[] {"heatmap_offset", "heatmap_offset_sides", "regression", "in_graph", "simcc", "simcc_sides"}) {
            assertTrue(m, methods.contains(m));
        }
    }
}
