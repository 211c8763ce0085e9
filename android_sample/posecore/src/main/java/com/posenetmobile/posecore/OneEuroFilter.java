package com.posenetmobile.posecore;

/**
 * One Euro filter (Casiez, Roussel and Vogel, CHI 2012), element-wise over a fixed-size array:
 * the port of {@code posenet_mobile.runtime.tracking.OneEuroFilter}. Time in seconds.
 */
public final class OneEuroFilter {
    private final double minCutoff;
    private final double beta;
    private final double dCutoff;
    private double[] xPrev;
    private double[] dxPrev;
    private double tPrev;

    public OneEuroFilter(double minCutoff, double beta, double dCutoff) {
        this.minCutoff = minCutoff;
        this.beta = beta;
        this.dCutoff = dCutoff;
    }

    public void reset() {
        xPrev = null;
        dxPrev = null;
    }

    static double alpha(double cutoff, double dt) {
        double tau = 1.0 / (2.0 * Math.PI * cutoff);
        return 1.0 / (1.0 + tau / dt);
    }

    public double[] filter(double[] x, double t) {
        return filter(x, t, new double[x.length]);
    }

    /** As {@link #filter(double[], double)}, written into {@code out} (which may be x); returns out. */
    public double[] filter(double[] x, double t, double[] out) {
        if (out.length != x.length) {
            throw new IllegalArgumentException("out: length " + out.length + ", expected " + x.length);
        }
        if (xPrev == null || xPrev.length != x.length) {
            xPrev = x.clone();
            dxPrev = new double[x.length];
            tPrev = t;
            System.arraycopy(x, 0, out, 0, x.length);
            return out;
        }
        double dt = t - tPrev;
        if (dt <= 0) {
            System.arraycopy(xPrev, 0, out, 0, x.length);
            return out;
        }
        double ad = alpha(dCutoff, dt);
        for (int i = 0; i < x.length; i++) {
            double dx = (x[i] - xPrev[i]) / dt;
            double dxHat = ad * dx + (1 - ad) * dxPrev[i];
            double cutoff = minCutoff + beta * Math.abs(dxHat);
            double a = 1.0 / (1.0 + (1.0 / (2.0 * Math.PI * cutoff)) / dt);
            double y = a * x[i] + (1 - a) * xPrev[i];
            xPrev[i] = y;
            out[i] = y;
            dxPrev[i] = dxHat;
        }
        tPrev = t;
        return out;
    }
}
