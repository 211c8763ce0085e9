"""Training: experiment configs, the resumable trainer, evaluation and tf.distribute strategies."""
