"""Training: ``fit`` / ``evaluate`` / ``predict``, callbacks, metrics and the ``History`` of a run.

    >>> from tinygrad_edu import nn, optim, train
    >>> import tinygrad_edu.nn.functional as F
    >>> history = train.fit(model, F.cross_entropy, optim.Adam(model.parameters()), (x, y), epochs=10,
    ...                     val_data=(x_val, y_val), callbacks=[train.EarlyStopping(patience=3)])  # doctest: +SKIP

| file | holds |
| --- | --- |
| ``fit.py`` | ``fit``, ``evaluate``, ``predict``, the ``Trainer`` behind them, resumable checkpoints |
| ``callbacks.py`` | ``Callback`` (the protocol), ``EarlyStopping``, ``ModelCheckpoint``, |
|  | ``LearningRateScheduler``, ``CSVLogger`` |
| ``history.py`` | ``History``: per-epoch values, ``plot()`` |
| ``metrics.py`` | ``accuracy``, ``binary_accuracy``, ``mse``, ``mae`` |
| ``crossval.py`` | ``cross_validate``: k-fold cross-validation over ``data.kfold``'s splits |
| ``cli.py``, ``__main__.py`` | ``python -m tinygrad_edu.train``: a model of ``models`` on MNIST, Fashion-MNIST or |
|  | generated shapes, with checkpoints, resuming and ``--prune`` |
| ``transfer.py`` | transfer learning (document 001): pre-train, frozen / fine-tuned / scratch, ``freeze()`` use |
| ``transfer_experiment.py`` | its 3-seed measurement: ``python -m tinygrad_edu.train.transfer_experiment`` |

May import: the engine, ``nn``, ``optim``, ``data``, ``models``; never ``demo`` or ``bench``.
"""

from .callbacks import Callback, CSVLogger, EarlyStopping, LearningRateScheduler, ModelCheckpoint
from .crossval import CrossValidationResult, cross_validate
from .fit import NonFiniteLossError, Trainer, evaluate, fit, predict
from .history import History
from .metrics import accuracy, binary_accuracy, mae, mse

__all__ = [
    "CSVLogger", "Callback", "CrossValidationResult", "EarlyStopping", "History", "LearningRateScheduler",
    "ModelCheckpoint", "NonFiniteLossError", "Trainer", "accuracy", "binary_accuracy", "cross_validate", "evaluate",
    "fit", "mae", "mse", "predict",
]
