"""Draw docs/figures/positional_encoding.png: the sinusoidal positional encoding of the Transformer.

    python docs/figures/make_positional_encoding_figure.py

Left: the table PE(pos, k) for 100 positions and d_model = 64, as the library's ``positional_encoding_table``
computes it — columns 2i hold sin(pos / 10000^{2i/d}), columns 2i + 1 the matching cosine; the stripes widen to
the right because the wavelength grows geometrically with i. Right: four columns as curves over the positions:
wavelength 2π·10000^{2i/d} ≈ 11, 20, 112 and 1,987 positions.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure  # no pyplot: no window, no backend to choose

from tinygrad_edu.nn.transformer import positional_encoding_table

OUT = Path(__file__).with_name("positional_encoding.png")


def main() -> Path:
    max_len, d_model = 100, 64
    table = positional_encoding_table(max_len, d_model)
    fig = Figure(figsize=(12, 4.2), layout="constrained")
    heat, curves = fig.subplots(1, 2, width_ratios=[1.15, 1])
    image = heat.imshow(table, aspect="auto", cmap="RdBu", vmin=-1, vmax=1, interpolation="nearest")
    heat.set_xlabel("dimension k (even: sin, odd: cos)")
    heat.set_ylabel("position pos")
    heat.set_title(r"PE(pos, 2i) = sin(pos / 10000$^{2i/d}$),  PE(pos, 2i+1) = cos(…)")
    fig.colorbar(image, ax=heat, shrink=0.85)
    for k in (4, 9, 20, 40):
        kind = "sin" if k % 2 == 0 else "cos"
        wavelength = 2 * 3.141592653589793 * 10000 ** (2 * (k // 2) / d_model)
        curves.plot(table[:, k], label=f"k = {k} ({kind}, i = {k // 2}, wavelength {wavelength:,.0f})")
    curves.set_xlabel("position pos")
    curves.set_ylabel("PE(pos, k)")
    curves.set_title(f"four columns, d_model = {d_model}")
    curves.legend(loc="lower left", fontsize=8, framealpha=0.9)
    fig.savefig(OUT, dpi=110)
    return OUT


if __name__ == "__main__":
    print(main())
