package com.posenetmobile.posecore;

/** A model file or its metadata cannot be used; the message names the field and what was expected. */
public class PoseModelException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PoseModelException(String message) {
        super(message);
    }
}
