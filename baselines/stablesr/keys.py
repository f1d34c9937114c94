"""Name maps between our modules and the released LDM-layout checkpoints, one group per released key.

Hand-written because diffusers' single-file converters drop keys they do not know (the SPADE
layers, the encoder, the CFW fusion layers) without a word; a strict loader needs every name
accounted for. Each map goes from *our* parameter name to the released one, so the table is
built from a model's own ``state_dict`` and covers it by construction; the loader then checks the
released keys against the table (:mod:`.loading`).

A :class:`KeyGroup` is one released tensor and the parameters it fills:

* ``copy``: same tensor.
* ``conv1d`` / ``conv2d``: a released 1x1 convolution weight (``(O, I, 1)`` / ``(O, I, 1, 1)``)
  is our ``nn.Linear`` weight ``(O, I)``.
* ``concat``: OpenCLIP's fused ``in_proj`` is ``cat(q, k, v)``.
* ``qkv``: the official ``AttentionBlock`` fuses q, k, v per head (``QKVAttentionLegacy``: rows
  ``[h0 q, h0 k, h0 v, h1 q, ...]``); ours are separate ``to_q/to_k/to_v``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

import torch

Kind = Literal["copy", "conv1d", "conv2d", "concat", "qkv"]
_QKV = ("to_q", "to_k", "to_v")
#: released weight rank for the kinds that reshape a 1x1 convolution into a linear layer
_CONV_NDIM = {"conv1d": 3, "conv2d": 4, "qkv": 3}


@dataclass(frozen=True)
class KeyGroup:
    """One released tensor (``release``) and our parameters (``ours``) it becomes.

    Attributes:
        heads: Head count, for ``qkv`` groups.
    """

    release: str
    ours: tuple[str, ...]
    kind: Kind = "copy"
    heads: int = 1

    def to_ours(self, t: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Split/reshape a released tensor into our parameters (same order as ``ours``)."""
        if self.kind == "copy":
            return (t,)
        if self.kind == "concat":
            return tuple(t.chunk(len(self.ours), dim=0))
        if t.ndim == 1:  # biases of 1x1 convolutions need no reshape, only the qkv split
            rows = t[:, None]
        else:
            rows = t.reshape(t.shape[0], -1)
        if self.kind in ("conv1d", "conv2d"):
            return (rows if t.ndim > 1 else t,)
        per_head = rows.reshape(self.heads, 3, -1, rows.shape[1])
        parts = tuple(per_head[:, i].reshape(-1, rows.shape[1]) for i in range(3))
        return tuple(p[:, 0] for p in parts) if t.ndim == 1 else parts

    def to_release(self, parts: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Our parameters back to the released tensor (inverse of :meth:`to_ours`)."""
        if self.kind == "copy":
            return parts[0]
        if self.kind == "concat":
            return torch.cat(parts, dim=0)
        if self.kind == "qkv":
            per_head = [p.reshape(self.heads, -1, *p.shape[1:]) for p in parts]
            out = torch.stack(per_head, dim=1).reshape(-1, *parts[0].shape[1:])
        else:
            out = parts[0]
        if out.ndim == 1:
            return out
        return out.reshape(*out.shape, *([1] * (_CONV_NDIM[self.kind] - out.ndim)))


Mapper = Callable[[str], tuple[str, Kind]]


def build_groups(
    names: Iterable[str], mapper: Mapper, heads: Callable[[str], int] | None = None
) -> list[KeyGroup]:
    """Group our parameter ``names`` by released key.

    Args:
        names: Our ``state_dict`` keys.
        mapper: Our name -> (released name, kind).
        heads: For ``qkv`` groups, the head count of the attention a name belongs to.

    Raises:
        KeyError: If ``mapper`` does not know a name (a module this map was not written for).
        ValueError: For a ``qkv`` group without ``heads``.
    """
    grouped: dict[str, tuple[Kind, list[str]]] = {}
    for name in names:
        release, kind = mapper(name)
        grouped.setdefault(release, (kind, []))[1].append(name)
    groups = []
    for release, (kind, ours) in grouped.items():
        n_heads = 1
        if kind in ("concat", "qkv"):
            ours = sorted(ours, key=_qkv_order)
        if kind == "qkv":
            if heads is None:
                raise ValueError(f"{release}: a fused qkv tensor needs the head count")
            n_heads = heads(ours[0])
        groups.append(KeyGroup(release, tuple(ours), kind, n_heads))
    return groups


def _qkv_order(name: str) -> int:
    for i, tag in enumerate(("q_proj", "k_proj", "v_proj")):
        if f".{tag}." in name:
            return i
    for i, tag in enumerate(_QKV):
        if f".{tag}." in name:
            return i
    raise KeyError(f"{name} is not a q/k/v projection")


def _sub(name: str, rules: list[tuple[str, str]]) -> str:
    for pattern, repl in rules:
        name = re.sub(pattern, repl, name)
    return name


#: diffusers ResnetBlock2D -> official ResBlock / ResBlockDual
_OAI_RESNET = [
    (r"\.norm1\.", ".in_layers.0."),
    (r"\.conv1\.", ".in_layers.2."),
    (r"\.time_emb_proj\.", ".emb_layers.1."),
    (r"\.norm2\.", ".out_layers.0."),
    (r"\.conv2\.", ".out_layers.3."),
    (r"\.conv_shortcut\.", ".skip_connection."),
]


def _oai_resnet(rest: str) -> str:
    return _sub("." + rest, _OAI_RESNET)[1:] if not rest.startswith("spade.") else rest


def unet_mapper(layers_per_block: int, up_has_attention: tuple[bool, ...]) -> Mapper:
    """Our :class:`~baselines.stablesr.unet.StableSRUNet2DConditionModel` names -> ``UNetModelDualcondV2``."""
    n = layers_per_block + 1

    def block(kind: str, rest: str) -> str:
        return _oai_resnet(rest) if kind == "resnets" else rest

    def mapper(name: str) -> tuple[str, Kind]:
        fixed = {
            "conv_in.weight": "input_blocks.0.0.weight", "conv_in.bias": "input_blocks.0.0.bias",
            "time_embedding.linear_1.weight": "time_embed.0.weight", "time_embedding.linear_1.bias": "time_embed.0.bias",
            "time_embedding.linear_2.weight": "time_embed.2.weight", "time_embedding.linear_2.bias": "time_embed.2.bias",
            "conv_norm_out.weight": "out.0.weight", "conv_norm_out.bias": "out.0.bias",
            "conv_out.weight": "out.2.weight", "conv_out.bias": "out.2.bias",
        }  # fmt: skip
        if name in fixed:
            return fixed[name], "copy"
        if m := re.fullmatch(r"down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", name):
            level, kind, i, rest = int(m[1]), m[2], int(m[3]), m[4]
            sub = 0 if kind == "resnets" else 1
            return f"input_blocks.{1 + level * n + i}.{sub}.{block(kind, rest)}", "copy"
        if m := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", name):
            return f"input_blocks.{(int(m[1]) + 1) * n}.0.op.{m[2]}", "copy"
        if m := re.fullmatch(r"mid_block\.(resnets|attentions)\.(\d+)\.(.+)", name):
            kind, i, rest = m[1], int(m[2]), m[3]
            sub = {("resnets", 0): 0, ("attentions", 0): 1, ("resnets", 1): 2}[(kind, i)]
            return f"middle_block.{sub}.{block(kind, rest)}", "copy"
        if m := re.fullmatch(r"up_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", name):
            j, kind, i, rest = int(m[1]), m[2], int(m[3]), m[4]
            sub = 0 if kind == "resnets" else 1
            return f"output_blocks.{j * n + i}.{sub}.{block(kind, rest)}", "copy"
        if m := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", name):
            j = int(m[1])
            return f"output_blocks.{j * n + n - 1}.{2 if up_has_attention[j] else 1}.conv.{m[2]}", "copy"
        raise KeyError(f"no released name for UNet parameter {name!r}")

    return mapper


def encoder_mapper(num_res_blocks: int) -> Mapper:
    """Our :class:`~baselines.stablesr.encoder.TimeAwareEncoderModel` names -> ``EncoderUNetModelWT``."""
    n = num_res_blocks + 1

    def attention(rest: str) -> tuple[str, Kind]:
        if rest.startswith("group_norm."):
            return "norm." + rest.split(".", 1)[1], "copy"
        if m := re.fullmatch(r"(to_q|to_k|to_v)\.(weight|bias)", rest):
            return f"qkv.{m[2]}", "qkv"
        if m := re.fullmatch(r"to_out\.0\.(weight|bias)", rest):
            return f"proj_out.{m[1]}", "conv1d" if m[1] == "weight" else "copy"
        raise KeyError(rest)

    def part(kind: str, rest: str) -> tuple[str, Kind]:
        return (_oai_resnet(rest), "copy") if kind == "resnets" else attention(rest)

    def mapper(name: str) -> tuple[str, Kind]:
        fixed = {
            "conv_in.weight": "input_blocks.0.0.weight", "conv_in.bias": "input_blocks.0.0.bias",
            "time_embedding.linear_1.weight": "time_embed.0.weight", "time_embedding.linear_1.bias": "time_embed.0.bias",
            "time_embedding.linear_2.weight": "time_embed.2.weight", "time_embedding.linear_2.bias": "time_embed.2.bias",
        }  # fmt: skip
        if name in fixed:
            return fixed[name], "copy"
        if m := re.fullmatch(r"down_blocks\.(\d+)\.(resnets|attentions)\.(\d+)\.(.+)", name):
            level, kind, i, rest = int(m[1]), m[2], int(m[3]), m[4]
            key, k = part(kind, rest)
            return f"input_blocks.{1 + level * n + i}.{0 if kind == 'resnets' else 1}.{key}", k
        if m := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", name):
            return f"input_blocks.{(int(m[1]) + 1) * n}.0.op.{m[2]}", "copy"
        if m := re.fullmatch(r"mid_block\.(resnets|attentions)\.(\d+)\.(.+)", name):
            kind, i, rest = m[1], int(m[2]), m[3]
            sub = {("resnets", 0): 0, ("attentions", 0): 1, ("resnets", 1): 2}[(kind, i)]
            key, k = part(kind, rest)
            return f"middle_block.{sub}.{key}", k
        if m := re.fullmatch(r"fea_tran\.(\d+)\.(.+)", name):
            return f"fea_tran.{m[1]}.{_oai_resnet(m[2])}", "copy"
        raise KeyError(f"no released name for encoder parameter {name!r}")

    return mapper


def vae_mapper(num_levels: int) -> Mapper:
    """diffusers ``AutoencoderKL`` (+ our CFW fusion layers) names -> LDM ``AutoencoderKL``/``AutoencoderKLResi``."""

    def resnet(rest: str) -> str:
        return rest.replace("conv_shortcut.", "nin_shortcut.")

    def mid(rest: str) -> tuple[str, Kind]:
        m = re.fullmatch(r"(resnets|attentions)\.(\d+)\.(.+)", rest)
        if m is None:
            raise KeyError(rest)
        if m[1] == "resnets":
            return f"mid.block_{int(m[2]) + 1}.{resnet(m[3])}", "copy"
        attn = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "to_out.0": "proj_out"}
        sub, leaf = m[3].rsplit(".", 1)
        return (
            f"mid.attn_1.{attn[sub]}.{leaf}",
            "conv2d" if leaf == "weight" and sub != "group_norm" else "copy",
        )

    def mapper(name: str) -> tuple[str, Kind]:
        if name.startswith(("quant_conv.", "post_quant_conv.")):
            return name, "copy"
        side, rest = name.split(".", 1)
        if side not in ("encoder", "decoder"):
            raise KeyError(f"no released name for VAE parameter {name!r}")
        rest = rest.replace("conv_norm_out.", "norm_out.")
        if rest.startswith(("conv_in.", "conv_out.", "norm_out.")):
            return f"{side}.{rest}", "copy"
        if rest.startswith("mid_block."):
            key, kind = mid(rest[len("mid_block.") :])
            return f"{side}.{key}", kind
        if m := re.fullmatch(r"fusion_layer_(\d+)\.(encode_enc_[13])\.(.+)", rest):
            return f"decoder.fusion_layer_{m[1]}.{m[2]}.{m[3].replace('conv_shortcut.', 'conv_out.')}", "copy"
        if rest.startswith("fusion_layer_"):
            return f"decoder.{rest}", "copy"
        if m := re.fullmatch(r"down_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", rest):
            return f"encoder.down.{m[1]}.block.{m[2]}.{resnet(m[3])}", "copy"
        if m := re.fullmatch(r"down_blocks\.(\d+)\.downsamplers\.0\.conv\.(.+)", rest):
            return f"encoder.down.{m[1]}.downsample.conv.{m[2]}", "copy"
        if m := re.fullmatch(r"up_blocks\.(\d+)\.resnets\.(\d+)\.(.+)", rest):
            return f"decoder.up.{num_levels - 1 - int(m[1])}.block.{m[2]}.{resnet(m[3])}", "copy"
        if m := re.fullmatch(r"up_blocks\.(\d+)\.upsamplers\.0\.conv\.(.+)", rest):
            return f"decoder.up.{num_levels - 1 - int(m[1])}.upsample.conv.{m[2]}", "copy"
        raise KeyError(f"no released name for VAE parameter {name!r}")

    return mapper


def text_mapper(name: str) -> tuple[str, Kind]:
    """transformers ``CLIPTextModel`` names -> OpenCLIP's text tower (``cond_stage_model.model.*``).

    transformers 4 prefixes the names with ``text_model.``, transformers 5 does not; both map.
    """
    fixed = {
        "embeddings.token_embedding.weight": "token_embedding.weight",
        "embeddings.position_embedding.weight": "positional_embedding",
        "final_layer_norm.weight": "ln_final.weight",
        "final_layer_norm.bias": "ln_final.bias",
    }
    bare = name.removeprefix("text_model.")
    if bare in fixed:
        return fixed[bare], "copy"
    m = re.fullmatch(r"encoder\.layers\.(\d+)\.(.+)", bare)
    if m is None:
        raise KeyError(f"no released name for text encoder parameter {name!r}")
    i, rest = m[1], m[2]
    if q := re.fullmatch(r"self_attn\.[qkv]_proj\.(weight|bias)", rest):
        return f"transformer.resblocks.{i}.attn.in_proj_{q[1]}", "concat"
    rules = {"self_attn.out_proj.": "attn.out_proj.", "layer_norm1.": "ln_1.", "layer_norm2.": "ln_2.",
             "mlp.fc1.": "mlp.c_fc.", "mlp.fc2.": "mlp.c_proj."}  # fmt: skip
    for ours, theirs in rules.items():
        if rest.startswith(ours):
            return f"transformer.resblocks.{i}.{theirs}{rest[len(ours) :]}", "copy"
    raise KeyError(f"no released name for text encoder parameter {name!r}")
