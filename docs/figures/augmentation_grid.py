"""Draw docs/figures/augmentation.png: a few images, each beside random augmentations of itself.

    python docs/figures/augmentation_grid.py                  # MNIST digits when the files are found, else shapes()
    python docs/figures/augmentation_grid.py --data shapes    # always the generated shapes (no files needed)

Each row is one image: the original in the first column, then the same image through each transform of
``tinygrad_edu.data.transforms`` (shift, rotation, zoom, shear, flip) and finally through ``RandomAffine``,
which combines them in one resampling. Seeded, so the figure is the same on every run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tinygrad_edu.data import DatasetNotFoundError, mnist, shapes  # noqa: E402
from tinygrad_edu.data import transforms as T  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED_DATA = HERE.parents[2] / "shared" / "data"


def load_images(kind: str, count: int) -> tuple[np.ndarray, str]:
    if kind in ("auto", "mnist"):
        try:
            root = SHARED_DATA if SHARED_DATA.is_dir() else None
            images = mnist(root, train=False, download=False).arrays[0]
            return images[:count], "MNIST test images"
        except DatasetNotFoundError:
            if kind == "mnist":
                raise
    return shapes(count, seed=0)[0], "shapes() images"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=["auto", "mnist", "shapes"], default="auto")
    parser.add_argument("--rows", type=int, default=4)
    parser.add_argument("--out", default=str(HERE / "augmentation.png"))
    args = parser.parse_args()

    images, source = load_images(args.data, args.rows)
    columns = [
        ("original", None),
        ("RandomShift(0.15)", T.RandomShift(0.15, seed=1)),
        ("RandomRotation(25)", T.RandomRotation(25, seed=2)),
        ("RandomZoom(0.25)", T.RandomZoom(0.25, seed=3)),
        ("RandomShear(25)", T.RandomShear(25, seed=4)),
        ("RandomHorizontalFlip(1.0)", T.RandomHorizontalFlip(1.0, seed=5)),
        ("RandomAffine(all four)", T.RandomAffine(degrees=15, translate=0.1, zoom=0.15, shear=15, seed=6)),
    ]
    figure, axes = plt.subplots(len(images), len(columns), figsize=(1.6 * len(columns), 1.6 * len(images) + 0.4))
    for column, (title, transform) in enumerate(columns):
        batch = images if transform is None else transform(images)  # the whole column in one call
        for row in range(len(images)):
            ax = axes[row, column]
            ax.imshow(batch[row, 0], cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if row == 0:
                ax.set_title(title, fontsize=7)
    figure.suptitle(f"Augmentation of {source} (tinygrad_edu.data.transforms)", fontsize=9)
    figure.tight_layout()
    figure.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
