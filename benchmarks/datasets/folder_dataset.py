"""Input-only sets for stylization (Table 2): FFHQ first 100, Flickr2K first 100."""

from __future__ import annotations

from typing import ClassVar

from benchmarks.datasets.base import DATASETS, Dataset, Item, list_images, require_dir


class FirstNFolderDataset(Dataset):
    """The first ``expected_count`` images (sorted by name) of a folder tree, by explicit names."""

    task = "stylization"
    scale = 1
    names: ClassVar[tuple[str, ...]]
    #: sub-folder of each file relative to ROOT, from its name (FFHQ shards by thousands)
    subdir: ClassVar[str] = ""

    def items(self) -> list[Item]:
        require_dir(self.root, "dataset root", self.layout)
        out = []
        for name in self.names:
            path = self.root / self.subdir.format(name=name) / name
            if path.is_file():
                out.append(Item(path.stem, path, None))
        return out

    def verify(self):
        report = super().verify()
        if self.root.is_dir():
            present = {i.lq.name for i in self.items()}
            missing = [n for n in self.names if n not in present]
            if missing:
                report.problems.append(f"{len(missing)} files missing, e.g. {', '.join(missing[:5])}")
            listed = self.root / self.subdir.format(name=self.names[0])
            if listed.is_dir():
                extra = [p.name for p in list_images(listed) if p.name not in set(self.names)]
                if extra:
                    report.notes.append(f"{len(extra)} other images present (ignored), e.g. {extra[0]}")
        return report


@DATASETS.register("ffhq-100")
class FFHQ100Dataset(FirstNFolderDataset):
    """FFHQ 1024x1024 faces 00000-00099."""

    name = "ffhq-100"
    expected_count = 100
    names = tuple(f"{i:05d}.png" for i in range(100))
    subdir = "00000"
    layout = "ROOT/00000/00000.png ... 00099.png (FFHQ images1024x1024 layout)"
    source = "https://github.com/NVlabs/ffhq-dataset (images1024x1024)"


@DATASETS.register("flickr2k-100")
class Flickr2K100Dataset(FirstNFolderDataset):
    """Flickr2K HR images 000001-000100."""

    name = "flickr2k-100"
    expected_count = 100
    names = tuple(f"{i:06d}.png" for i in range(1, 101))
    layout = "ROOT/000001.png ... 000100.png (Flickr2K/Flickr2K_HR)"
    source = "https://cv.snu.ac.kr/research/EDSR/Flickr2K.tar"
