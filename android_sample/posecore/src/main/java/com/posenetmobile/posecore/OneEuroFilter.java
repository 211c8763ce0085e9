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
        if (xPrev == null || xPrev.length != x.length) {
            xPrev = x.clone();
            dxPrev = new double[x.length];
            tPrev = t;
            return x.clone();
        }
        double dt = t - tPrev;
        if (dt <= 0) {
            return xPrev.clone();
        }
        double ad = alpha(dCutoff, dt);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double dx = (x[i] - xPrev[i]) / dt;
            double dxHat = ad * dx + (1 - ad) * dxPrev[i];
            double cutoff = minCutoff + beta * Math.abs(dxHat);
            double a = 1.0 / (1.0 + (1.0 / (2.0 * Math.PI * cutoff)) / dt);
            out[i] = a * x[i] + (1 - a) * xPrev[i];
            dxPrev[i] = dxHat;
        }
        xPrev = out.clone();
        tPrev = t;
        return out;
    }
}
