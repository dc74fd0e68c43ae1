"""``History``: what ``fit`` returns — the loss and metrics of every epoch, on training and validation data.

    >>> history = fit(model, F.cross_entropy, optimizer, train, epochs=10, val_data=val)   # doctest: +SKIP
    >>> history["val_accuracy"][-1], history.best("val_loss")                              # doctest: +SKIP
    >>> history.plot()                                                                      # doctest: +SKIP

The columns are Keras' names: ``loss``, ``accuracy``, …, the validation values prefixed ``val_``, and the
learning rate ``lr`` at the end of each epoch. ``history.history`` is the plain dict of lists.
"""

from __future__ import annotations

from typing import Any


class History:
    """Per-epoch values under column names; ``history[name]`` is the list of one column's values."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epochs: list[int] = []
        self.interrupted = False

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record the values of ``epoch`` (counted from 1); columns missing from an epoch hold NaN there."""
        for name in logs:
            if name not in self.history:
                self.history[name] = [float("nan")] * len(self.epochs)
        for name, column in self.history.items():
            column.append(float(logs.get(name, float("nan"))))
        self.epochs.append(int(epoch))

    def __getitem__(self, name: str) -> list[float]:
        if name not in self.history:
            raise KeyError(f"History has no column {name!r}; it has {sorted(self.history)}")
        return self.history[name]

    def __contains__(self, name: object) -> bool:
        return name in self.history

    def __len__(self) -> int:
        return len(self.epochs)

    def keys(self) -> list[str]:
        return list(self.history)

    @property
    def last(self) -> dict[str, float]:
        """The values of the last recorded epoch."""
        return {name: column[-1] for name, column in self.history.items()} if self.epochs else {}

    def best(self, name: str = "val_loss", mode: str = "auto") -> tuple[int, float]:
        """``(epoch, value)`` of the best epoch for a column: lowest for losses/errors, highest otherwise."""
        column = self[name]
        lower = _lower_is_better(name) if mode == "auto" else mode == "min"
        index = min(range(len(column)), key=lambda i: column[i] if lower else -column[i])
        return self.epochs[index], column[index]

    def state_dict(self) -> dict[str, Any]:
        return {"history": {k: list(v) for k, v in self.history.items()}, "epochs": list(self.epochs)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.history = {k: [float(x) for x in v] for k, v in state["history"].items()}
        self.epochs = [int(e) for e in state["epochs"]]

    def plot(self, names: list[str] | None = None, axes: Any = None) -> Any:
        """Draw the learning curves with matplotlib: one panel per quantity, training and validation together
        (``loss`` with ``val_loss``, ``accuracy`` with ``val_accuracy``, …). Returns the figure."""
        import matplotlib.pyplot as plt

        if names is None:
            names = [n for n in self.history if not n.startswith("val_") and n != "lr"]
            names += [n[4:] for n in self.history if n.startswith("val_") and n[4:] not in self.history]
        if not names:
            raise ValueError("History.plot(): nothing to plot yet (no epoch was recorded)")
        if axes is None:
            figure, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.5), squeeze=False)
            axes = axes[0]
        else:
            axes = list(axes) if hasattr(axes, "__len__") else [axes]
            figure = axes[0].figure
        for ax, name in zip(axes, names, strict=False):
            for column, label in ((name, "train"), (f"val_{name}", "validation")):
                if column in self.history:
                    ax.plot(self.epochs, self.history[column], marker="o", markersize=3, label=label)
            ax.set_xlabel("epoch")
            ax.set_title(name)
            ax.grid(alpha=0.3)
            ax.legend()
        figure.tight_layout()
        return figure

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v:.4g}" for k, v in self.last.items())
        epochs = f"{len(self)} epoch" + ("" if len(self) == 1 else "s")
        return f"History({epochs}{': ' + last if last else ''})"


def _lower_is_better(name: str) -> bool:
    base = name.removeprefix("val_")
    return "loss" in base or base in ("mse", "mae", "error", "lr")
