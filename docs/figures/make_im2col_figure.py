"""Draw docs/figures/im2col.png: how im2col turns a convolution into one matrix product.

    python docs/figures/make_im2col_figure.py

Left: a 4 × 4 input (one channel) whose 3 × 3 windows, at stride 1, give a 2 × 2 output. Middle: the matrix
cols = im2col(x) with one row per output pixel, holding that pixel's window flattened in (i, j) order; the
numbers are the input pixels, so each row can be traced back to its window. Right: cols times the flattened
kernel gives the four outputs, which reshape to the 2 × 2 output. The matrix is built by the library's own
``im2col``, not drawn by hand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure  # no pyplot: no window, no backend to choose
from matplotlib.patches import Rectangle
from tinygrad_edu.kernels import reference

COLOURS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52"]  # one per output pixel / window
OUT = Path(__file__).with_name("im2col.png")


def draw_grid(ax, values: np.ndarray, origin: tuple[float, float], labels: bool = True) -> None:
    rows, columns = values.shape
    x0, y0 = origin
    for r in range(rows):
        for c in range(columns):
            ax.add_patch(Rectangle((x0 + c, y0 - r - 1), 1, 1, fill=False, lw=0.8, ec="0.4"))
            if labels:
                ax.text(x0 + c + 0.5, y0 - r - 0.5, f"{values[r, c]:g}", ha="center", va="center", fontsize=9)


def main() -> Path:
    image = np.arange(1, 17, dtype=np.float64).reshape(1, 1, 4, 4)
    cols = reference.im2col(image, (3, 3), (1, 1), (0, 0), (1, 1), (2, 2))  # (4 output pixels, 9 taps)

    fig = Figure(figsize=(13, 4.6))
    ax = fig.add_subplot()
    ax.set_xlim(-0.5, 26.5)
    ax.set_ylim(-5.8, 1.6)
    ax.set_aspect("equal")
    ax.axis("off")

    # the input, with the four windows outlined (slightly inset so that they stay distinguishable)
    draw_grid(ax, image[0, 0], (0, 0))
    for k, (oh, ow) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        inset = 0.08 + 0.06 * k
        ax.add_patch(Rectangle((ow + inset, -oh - 3 + inset), 3 - 2 * inset, 3 - 2 * inset, fill=False, lw=2.2,
                               ec=COLOURS[k]))
    ax.text(2, 0.9, "input x (4 × 4)\nfour 3 × 3 windows", ha="center", fontsize=10)

    # cols: one row per window
    left = 6
    draw_grid(ax, cols, (left, 0))
    for k in range(4):
        ax.add_patch(Rectangle((left, -k - 1), 9, 1, fill=True, alpha=0.22, color=COLOURS[k], lw=0))
    ax.text(left + 4.5, 0.9, "cols = im2col(x): (N·OH·OW, C·kh·kw) = (4, 9)\nrow (n, oh, ow) = that window, "
            "flattened (c, i, j)", ha="center", fontsize=10)
    ax.annotate("", xy=(left - 0.2, -2), xytext=(4.2, -2), arrowprops=dict(arrowstyle="->", lw=1.5))

    # times the kernel, flattened into a column
    ax.text(left + 9.7, -2, "·", fontsize=22, ha="center", va="center")
    kernel_left = left + 10.4
    for t in range(9):
        ax.add_patch(Rectangle((kernel_left, -t * 0.5 - 0.2), 0.9, 0.5, fill=False, lw=0.8, ec="0.4"))
        ax.text(kernel_left + 0.45, -t * 0.5 + 0.05, f"k{t // 3}{t % 3}", ha="center", va="center", fontsize=6.5)
    ax.text(kernel_left + 0.45, 0.9, "Wᵀ (9 × 1)", ha="center", fontsize=10)

    # equals the outputs, one per row, then reshaped to the 2 × 2 output image
    ax.text(kernel_left + 1.6, -2, "=", fontsize=18, ha="center", va="center")
    y_left = kernel_left + 2.3
    for k in range(4):
        ax.add_patch(Rectangle((y_left, -k - 1), 1, 1, fill=True, alpha=0.35, color=COLOURS[k], lw=0.8))
        ax.text(y_left + 0.5, -k - 0.5, f"y{k // 2}{k % 2}", ha="center", va="center", fontsize=9)
    ax.text(y_left + 0.5, 0.9, "Y (4 × 1)", ha="center", fontsize=10)
    ax.annotate("", xy=(y_left + 2.6, -2), xytext=(y_left + 1.2, -2), arrowprops=dict(arrowstyle="->", lw=1.5))
    out_left = y_left + 2.9
    for k in range(4):
        oh, ow = divmod(k, 2)
        ax.add_patch(Rectangle((out_left + ow, -oh - 2.5), 1, 1, fill=True, alpha=0.35, color=COLOURS[k], lw=0.8))
        ax.text(out_left + ow + 0.5, -oh - 2.0, f"y{oh}{ow}", ha="center", va="center", fontsize=9)
    ax.text(out_left + 1, -0.9, "reshape to\nthe output (2 × 2)", ha="center", fontsize=10)

    ax.text(13, -5.4, "A convolution layer is one matrix product Y = cols · Wᵀ (all windows × all filters at once); "
            "its backward pass is ∂L/∂W = Ȳᵀ · cols and ∂L/∂x = col2im(Ȳ · W).", ha="center", fontsize=10)
    fig.savefig(OUT, dpi=130, bbox_inches="tight")
    return OUT


if __name__ == "__main__":
    print(f"wrote {main()}")
