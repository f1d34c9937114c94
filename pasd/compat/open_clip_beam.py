"""open_clip's CoCa beam search on transformers >= 5, which removed ``BeamSearchScorer``.

``open_clip.coca_model`` imports ``BeamSearchScorer`` (transformers <= 4.x) for ``CoCa.generate``'s
default group beam search; without it ``generate`` refuses to run ("Please install transformers").
:class:`GroupBeamScorer` re-implements the part of that scorer's contract open_clip uses (group
beam search, length penalty 1, no early stopping, the single best hypothesis), written from the
transformers 4.41 behaviour; ``tests/pasd/pipeline`` checks it reproduces a caption computed with
transformers 4.41. Hand-written because no maintained package provides the class any more.
"""

from __future__ import annotations

import logging
from collections import UserDict

import torch

logger = logging.getLogger(__name__)


class _Hypotheses:
    """The ``num_beams`` best finished sequences of one (sample, group), scored by sum / length."""

    def __init__(self, num_beams: int) -> None:
        self.num_beams = num_beams
        self.beams: list[tuple[float, torch.Tensor]] = []
        self.worst_score = 1e9

    def add(self, hyp: torch.Tensor, sum_logprobs: float, length: int) -> None:
        score = sum_logprobs / length
        if len(self.beams) < self.num_beams or score > self.worst_score:
            self.beams.append((score, hyp))
            if len(self.beams) > self.num_beams:
                ranked = sorted((s, i) for i, (s, _) in enumerate(self.beams))
                del self.beams[ranked[0][1]]
                self.worst_score = ranked[1][0]
            else:
                self.worst_score = min(score, self.worst_score)

    def is_done(self, best_sum_logprobs: float, cur_len: int) -> bool:
        # "no early stopping": done once no running beam can beat the worst kept one
        return len(self.beams) >= self.num_beams and self.worst_score >= best_sum_logprobs / cur_len


class GroupBeamScorer:
    """Drop-in for ``transformers.BeamSearchScorer`` as ``open_clip.CoCa._generate_beamsearch`` calls it.

    Args:
        batch_size: Images.
        num_beams: Beams in all groups.
        device: Where the flags live.
        num_beam_groups: Groups (``num_beams`` must be a multiple).

    Raises:
        ValueError: For ``num_beams < 2`` or groups that do not divide the beams.
    """

    def __init__(self, batch_size: int, num_beams: int, device: torch.device | str, num_beam_groups: int = 1):
        if num_beams < 2 or num_beams % num_beam_groups:
            raise ValueError(
                f"need num_beams >= 2 divisible by num_beam_groups, got {num_beams}, {num_beam_groups}"
            )
        self.num_beams, self.num_beam_groups = num_beams, num_beam_groups
        self.group_size = num_beams // num_beam_groups
        self._beam_hyps = [_Hypotheses(self.group_size) for _ in range(batch_size * num_beam_groups)]
        self._done = [False] * len(self._beam_hyps)

    @property
    def is_done(self) -> bool:
        return all(self._done)

    def process(self, input_ids, next_scores, next_tokens, next_indices, pad_token_id=None, eos_token_id=None,
                beam_indices=None, group_index=0, **_):  # fmt: skip
        """Keep the best ``group_size`` continuations per sample; finished ones become hypotheses."""
        eos = _as_set(eos_token_id)
        cur_len = input_ids.shape[-1] + 1
        batch = len(self._beam_hyps) // self.num_beam_groups
        g = self.group_size
        scores = torch.zeros((batch, g), dtype=next_scores.dtype, device=input_ids.device)
        tokens = torch.zeros((batch, g), dtype=next_tokens.dtype, device=input_ids.device)
        indices = torch.zeros((batch, g), dtype=next_indices.dtype, device=input_ids.device)
        for b in range(batch):
            k = b * self.num_beam_groups + group_index
            if self._done[k]:
                tokens[b, :] = pad_token_id
                continue
            kept = 0
            for rank, (tok, score, idx) in enumerate(zip(next_tokens[b], next_scores[b], next_indices[b])):
                row = b * g + int(idx)
                if int(tok) in eos:
                    if rank < g:  # an EOS outside the top group_size does not count
                        self._beam_hyps[k].add(input_ids[row].clone(), float(score), cur_len)
                else:
                    scores[b, kept], tokens[b, kept], indices[b, kept] = score, tok, row
                    kept += 1
                if kept == g:
                    break
            if kept < g:
                raise ValueError(f"too many EOS tokens among {next_tokens[b].tolist()} for {g} beams")
            self._done[k] = self._done[k] or self._beam_hyps[k].is_done(float(next_scores[b].max()), cur_len)
        return UserDict(
            {"next_beam_scores": scores.view(-1), "next_beam_tokens": tokens.view(-1),
             "next_beam_indices": indices.view(-1)}
        )  # fmt: skip

    def finalize(self, input_ids, final_beam_scores, final_beam_tokens, final_beam_indices, max_length,
                 pad_token_id=None, eos_token_id=None, beam_indices=None, **_):  # fmt: skip
        """The best hypothesis per sample over all groups, EOS-terminated and padded."""
        eos = sorted(_as_set(eos_token_id))
        batch = len(self._beam_hyps) // self.num_beam_groups
        for k, hyps in enumerate(self._beam_hyps):
            if self._done[k]:
                continue
            for j in range(self.group_size):
                row = k * self.group_size + j
                hyps.add(input_ids[row], float(final_beam_scores[row]), input_ids.shape[-1])
        best = []
        for b in range(batch):
            groups = self._beam_hyps[b * self.num_beam_groups : (b + 1) * self.num_beam_groups]
            best.append(sorted((h for grp in groups for h in grp.beams), key=lambda x: x[0])[-1][1])
        lengths = [len(h) for h in best]
        width = min(max(lengths) + 1, max_length) if max_length is not None else max(lengths) + 1
        out = input_ids.new_full((batch, width), pad_token_id if pad_token_id is not None else 0)
        for i, hyp in enumerate(best):
            out[i, : lengths[i]] = hyp
            if lengths[i] < width:
                out[i, lengths[i]] = eos[0]
        return UserDict({"sequences": out})


def _as_set(token_id) -> set[int]:
    if token_id is None:
        return set()
    if isinstance(token_id, torch.Tensor):
        return {int(t) for t in token_id.flatten().tolist()}
    if isinstance(token_id, int):
        return {token_id}
    return {int(t) for t in token_id}


def ensure_coca_generate() -> None:
    """Give ``open_clip.coca_model`` a beam scorer when transformers no longer ships one."""
    import open_clip.coca_model as coca

    if getattr(coca, "_has_transformers", False):
        return
    try:
        from transformers import LogitsProcessorList  # noqa: F401  (open_clip's other imports)
    except ImportError as exc:
        raise ImportError("CoCa captions need transformers (pip install transformers)") from exc
    coca.BeamSearchScorer = GroupBeamScorer
    coca._has_transformers = True
    logger.debug("open_clip CoCa: using pasd.compat.open_clip_beam.GroupBeamScorer")
