package com.posenetmobile.posecore;

/**
 * A crop rectangle in image pixels with the model input's aspect ratio: the Java port of
 * {@code posenet_mobile.geometry}. Pixel i is centred on i + 0.5 in both frames. The affine maps
 * image pixels to input pixels: p_in = s R(-rotation) (p_img - centre) + (W_in / 2, H_in / 2),
 * s = W_in / width, then x_in -> W_in - x_in when mirrored.
 */
public final class Crop {
    public final double cx;
    public final double cy;
    public final double width;
    public final double height;
    /** Degrees, counter-clockwise as seen on screen. */
    public final double rotation;
    public final boolean flip;

    public Crop(double cx, double cy, double width, double height, double rotation, boolean flip) {
        this.cx = cx;
        this.cy = cy;
        this.width = width;
        this.height = height;
        this.rotation = rotation;
        this.flip = flip;
    }

    /** A person box [x, y, w, h] grown to the input aspect ratio about its centre, times padding. */
    public static Crop fromBox(double x, double y, double w, double h, int inputHeight, int inputWidth, double padding) {
        if (!(w > 0 && h > 0)) {
            throw new IllegalArgumentException("box: expected w, h > 0, got " + w + ", " + h);
        }
        double aspect = (double) inputWidth / inputHeight;
        double gw = w;
        double gh = h;
        if (w / h > aspect) {
            gh = w / aspect;
        } else {
            gw = h * aspect;
        }
        return new Crop(x + 0.5 * w, y + 0.5 * h, gw * padding, gh * padding, 0.0, false);
    }

    /**
     * The crop that shows an aligned person upright: centred on the hip centre, turned by the
     * incline, its shorter side 2 * radius * padding, with the input's aspect ratio.
     */
    public static Crop aligned(Alignment a, int inputHeight, int inputWidth, double padding) {
        if (!(a.radius > 0) || Double.isInfinite(a.radius)) {
            throw new IllegalArgumentException("alignment: expected a radius > 0, got " + a.radius);
        }
        double side = 2.0 * a.radius * padding;
        double w, h;
        if (inputWidth >= inputHeight) {
            h = side;
            w = side * inputWidth / inputHeight;
        } else {
            w = side;
            h = side * inputHeight / inputWidth;
        }
        return new Crop(a.cx, a.cy, w, h, a.angle, false);
    }

    /** The whole frame, letterboxed (padding 1). */
    public static Crop letterbox(int imageHeight, int imageWidth, int inputHeight, int inputWidth) {
        return fromBox(0, 0, imageWidth, imageHeight, inputHeight, inputWidth, 1.0);
    }

    /** The 2x3 affine image -> input pixels, row-major {a, b, tx, c, d, ty}. */
    public double[] matrix(int inputHeight, int inputWidth) {
        double s = inputWidth / width;
        double t = Math.toRadians(rotation);
        double c = Math.cos(t);
        double si = Math.sin(t);
        double a = s * c, b = -s * si, d = s * si, e = s * c;
        double tx = inputWidth / 2.0 - (a * cx + b * cy);
        double ty = inputHeight / 2.0 - (d * cx + e * cy);
        if (flip) {
            return new double[] {-a, -b, inputWidth - tx, d, e, ty};
        }
        return new double[] {a, b, tx, d, e, ty};
    }

    /** Inverse affine: input pixels -> image pixels. */
    public double[] inverse(int inputHeight, int inputWidth) {
        double[] m = matrix(inputHeight, inputWidth);
        double det = m[0] * m[4] - m[1] * m[3];
        double ia = m[4] / det, ib = -m[1] / det, id = -m[3] / det, ie = m[0] / det;
        return new double[] {ia, ib, -(ia * m[2] + ib * m[5]), id, ie, -(id * m[2] + ie * m[5])};
    }

    public static double[] apply(double[] m, double x, double y) {
        return new double[] {m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]};
    }

    public double[] toInput(int inputHeight, int inputWidth, double x, double y) {
        return apply(matrix(inputHeight, inputWidth), x, y);
    }

    public double[] toImage(int inputHeight, int inputWidth, double x, double y) {
        return apply(inverse(inputHeight, inputWidth), x, y);
    }

    /**
     * Resample an ARGB frame ({@code src}, row-major, {@code srcWidth} x {@code srcHeight}) into
     * the model input through this crop, as {@code posenet_mobile.geometry.warp} does: each input
     * pixel's centre mapped back into the frame, bilinear between the four nearest pixel centres,
     * black outside the frame. {@code out} holds inputHeight x inputWidth opaque ARGB pixels; it
     * is written, nothing is allocated.
     */
    public void warp(int[] src, int srcWidth, int srcHeight, int inputHeight, int inputWidth, int[] out) {
        double[] m = inverse(inputHeight, inputWidth);
        for (int i = 0; i < inputHeight; i++) {
            double yc = i + 0.5;
            for (int j = 0; j < inputWidth; j++) {
                double xc = j + 0.5;
                // frame pixel centres sit on integers here: subtract the half pixel
                double sx = m[0] * xc + m[1] * yc + m[2] - 0.5;
                double sy = m[3] * xc + m[4] * yc + m[5] - 0.5;
                int x0 = (int) Math.floor(sx), y0 = (int) Math.floor(sy);
                double fx = sx - x0, fy = sy - y0;
                double r = 0, g = 0, b = 0;
                for (int dy = 0; dy < 2; dy++) {
                    int y = y0 + dy;
                    double wy = dy == 0 ? 1 - fy : fy;
                    if (y < 0 || y >= srcHeight || wy == 0) continue;
                    for (int dx = 0; dx < 2; dx++) {
                        int x = x0 + dx;
                        double w = wy * (dx == 0 ? 1 - fx : fx);
                        if (x < 0 || x >= srcWidth || w == 0) continue;
                        int p = src[y * srcWidth + x];
                        r += w * ((p >> 16) & 0xff);
                        g += w * ((p >> 8) & 0xff);
                        b += w * (p & 0xff);
                    }
                }
                out[i * inputWidth + j] = 0xff000000 | (clamp(r) << 16) | (clamp(g) << 8) | clamp(b);
            }
        }
    }

    /**
     * Mirror model-input pixels left to right in place ({@code inputHeight} x {@code inputWidth},
     * row-major): the flip test's second input, as the harness's {@code patch[:, ::-1]}.
     */
    public static void mirror(int[] pixels, int inputHeight, int inputWidth) {
        if (pixels.length != inputHeight * inputWidth) {
            throw new IllegalArgumentException("pixels: expected " + inputHeight * inputWidth + ", got " + pixels.length);
        }
        for (int i = 0; i < inputHeight; i++) {
            for (int a = i * inputWidth, b = a + inputWidth - 1; a < b; a++, b--) {
                int t = pixels[a];
                pixels[a] = pixels[b];
                pixels[b] = t;
            }
        }
    }

    private static int clamp(double v) {
        long q = Math.round(v);
        return (int) Math.max(0, Math.min(255, q));
    }
}
