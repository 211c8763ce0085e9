"""tf.distribute strategies: one GPU/CPU, several GPUs (Mirrored), several hosts (MultiWorker).

``TF_CONFIG`` configures MultiWorkerMirroredStrategy as TensorFlow documents it; the global
batch is ``per-replica batch x replicas`` and the learning rate scales linearly with it.
"""

from __future__ import annotations

import json
import os

from ..errors import ConfigError

STRATEGIES = ("auto", "default", "mirrored", "multi_worker")


def get_strategy(name: str = "auto"):
    """Create the strategy; call before building models or datasets."""
    from ..keras import tf

    if name not in STRATEGIES:
        raise ConfigError(f"--strategy: expected one of {STRATEGIES}, got {name!r}")
    if name == "multi_worker":
        if not os.environ.get("TF_CONFIG"):
            raise ConfigError(
                "--strategy multi_worker: TF_CONFIG is not set (cluster spec and this worker's task)"
            )
        try:
            json.loads(os.environ["TF_CONFIG"])
        except json.JSONDecodeError as exc:
            raise ConfigError(f"TF_CONFIG: not valid JSON: {exc}") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "auto" and len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def worker_info(strategy) -> dict:
    """``{"workers", "index", "chief", "replicas"}`` for the current process."""
    resolver = getattr(strategy, "cluster_resolver", None)
    workers, index, chief = 1, 0, True
    if resolver is not None and resolver.cluster_spec().as_dict():
        spec = resolver.cluster_spec().as_dict()
        workers = sum(len(v) for k, v in spec.items() if k in ("worker", "chief"))
        task_type, index = resolver.task_type, resolver.task_id or 0
        chief = task_type == "chief" or (
            task_type == "worker" and index == 0 and "chief" not in spec
        )
    return {
        "workers": workers,
        "index": index,
        "chief": chief,
        "replicas": strategy.num_replicas_in_sync,
    }
