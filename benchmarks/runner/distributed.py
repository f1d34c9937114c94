"""Sharding images across processes started by ``torchrun`` / ``accelerate launch``.

Images are split by stride (``items[rank::world]``), so shards never overlap and need no
padding (a DistributedSampler pads the last shard with duplicates, which would double-count
images in per-image means). Set-level metrics run once, on rank 0, after a barrier.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0

    def shard(self, items: Sequence[T]) -> list[T]:
        return list(items[self.rank :: self.world])

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()


def init_from_env() -> Dist:
    """Read RANK/WORLD_SIZE (set by torchrun and accelerate) and join a gloo/nccl group if > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if world > 1:
        import torch
        import torch.distributed as dist

        if not dist.is_initialized():
            backend = (
                "nccl"
                if torch.cuda.is_available() and os.environ.get("PASD_BENCH_BACKEND") != "gloo"
                else "gloo"
            )
            dist.init_process_group(backend=backend)
    return Dist(rank, world)
