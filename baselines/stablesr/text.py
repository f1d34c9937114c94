"""StableSR's text condition: OpenCLIP ViT-H/14's embedding of the empty prompt.

The official sampler always conditions on ``cond_stage_model([""] * n)``: the released
``cond_stage_model`` is ``FrozenOpenCLIPEmbedder(layer="penultimate")``, i.e. token + position
embeddings, every transformer block but the last, then ``ln_final``. That is exactly a
transformers ``CLIPTextModel`` with one layer fewer (``last_hidden_state``), as diffusers' SD 2
text encoder. The weights come from the StableSR checkpoint itself (no SD 2.1 download).
"""

from __future__ import annotations

import torch
from transformers import CLIPTextConfig, CLIPTextModel

#: OpenCLIP ViT-H-14 text tower (the FrozenOpenCLIPEmbedder default arch), as released
VIT_H_TEXT = {"width": 1024, "layers": 24, "heads": 16, "vocab_size": 49408, "context_length": 77}


def text_config(width: int, layers: int, heads: int, vocab_size: int, context_length: int) -> CLIPTextConfig:
    """The ``CLIPTextConfig`` computing OpenCLIP's penultimate-layer output (``layers - 1`` blocks).

    Args:
        width, layers, heads, vocab_size, context_length: The OpenCLIP text tower as released
            (``layers`` counts every block in the checkpoint).

    Raises:
        ValueError: If ``layers < 2`` (there is no penultimate layer).
    """
    if layers < 2:
        raise ValueError(f"the penultimate layer needs >= 2 transformer blocks, got layers={layers}")
    return CLIPTextConfig(
        vocab_size=vocab_size,
        hidden_size=width,
        intermediate_size=4 * width,
        num_hidden_layers=layers - 1,
        num_attention_heads=heads,
        max_position_embeddings=context_length,
        hidden_act="gelu",  # OpenCLIP's nn.GELU (exact), not CLIP's quick_gelu
        layer_norm_eps=1e-5,
        projection_dim=width,
        bos_token_id=vocab_size - 2,
        eos_token_id=vocab_size - 1,
        pad_token_id=0,
    )


def empty_prompt_tokens(vocab_size: int = 49408, context_length: int = 77) -> torch.Tensor:
    """``open_clip.tokenize([""])``: start- and end-of-text, then zero padding; ``(1, context_length)``.

    The empty string has no BPE tokens, so no vocabulary file is needed: CLIP's BPE vocabulary ends
    with ``<start_of_text>``, ``<end_of_text>`` (49406, 49407 of 49408) and OpenCLIP pads with 0.
    """
    tokens = torch.zeros(1, context_length, dtype=torch.long)
    tokens[0, :2] = torch.tensor([vocab_size - 2, vocab_size - 1])
    return tokens


@torch.no_grad()
def encode_empty_prompt(text_model: CLIPTextModel, batch: int = 1) -> torch.Tensor:
    """The StableSR context ``(batch, context_length, width)`` for the empty prompt."""
    cfg = text_model.config
    tokens = empty_prompt_tokens(cfg.vocab_size, cfg.max_position_embeddings).to(text_model.device)
    return text_model(input_ids=tokens).last_hidden_state.expand(batch, -1, -1)
