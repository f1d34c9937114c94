"""PASD training (yangxy/PASD ``train_pasd.py``'s recipe) on ``accelerate``.

Public API::

    TrainConfig / load_train_config / list_configs / parse_override
                         settings as data (``pasd/training/configs/*.toml``: pasd, pasd-light, pasd-rrdb,
                         Table 3 / Fig. 7 variants, tiny)
    train / TrainResult  the loop: checkpoints, resume, CSV/TensorBoard logs, validation
    build_models / PASDTrainingModule / set_trainable / TRAINABLE_UNET_MODULES
                         the networks and which parameters train
    compute_losses       one step's L = L_DF + alpha * L_DR
    scan_hq_folders / TrainPairs / TrainCollate / EpochSampler
                         HQ folders -> degraded pairs with per-sample randomness
    list_checkpoints / latest_checkpoint   finished ``checkpoint-N`` folders of a run

Importing this package does not import torch; its modules do.
"""

from pasd.training.config import TrainConfig, list_configs, load_train_config, parse_override

__all__ = ["TrainConfig", "list_configs", "load_train_config", "parse_override"]
