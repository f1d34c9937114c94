"""StableSR (Wang et al., IJCV 2024) on diffusers: networks, strict release loading, official sampler.

Modules (import what you need; this package itself imports nothing heavy)::

    unet.StableSRUNet2DConditionModel   SD 2.1 UNet whose residual blocks carry SFT (spade.SPADE)
    encoder.TimeAwareEncoderModel       the time-aware encoder (structcond_stage_model)
    cfw.CFWAutoencoderModel             SD 2.1 VAE + CFW fusion layers (vqgan_cfw_00011.ckpt)
    text                                OpenCLIP-H penultimate-layer embedding of the empty prompt
    configs                             the released architecture as data; JSON for other sizes
    keys / loading                      released-key maps; load_stablesr(ckpt, cfw_ckpt) (strict)
    settings / schedule / tiling /      the official canvas-tile script's flags, respaced DDPM,
    color_fix / pipeline                tilings, colour fixes and per-image procedure

The Method adapters (``stablesr``, ``stablesr-turbo``) are in :mod:`baselines.stablesr_adapter`.
Port of IceClear/StableSR (S-Lab License 1.0) read at commit 398ee93; no file of it is copied.
"""
