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
| ``mnist_cnn.py`` | the acceptance runs on MNIST / Fashion-MNIST: ``python -m tinygrad_edu.train.mnist_cnn`` |
| ``transfer.py`` | transfer learning (document 001): pre-train, frozen / fine-tuned / scratch, ``freeze()`` use |
| ``transfer_experiment.py`` | its 3-seed measurement: ``python -m tinygrad_edu.train.transfer_experiment`` |
"""

from .callbacks import Callback, CSVLogger, EarlyStopping, LearningRateScheduler, ModelCheckpoint
from .fit import NonFiniteLossError, Trainer, evaluate, fit, predict
from .history import History
from .metrics import accuracy, binary_accuracy, mae, mse

__all__ = [
    "CSVLogger", "Callback", "EarlyStopping", "History", "LearningRateScheduler", "ModelCheckpoint",
    "NonFiniteLossError", "Trainer", "accuracy", "binary_accuracy", "evaluate", "fit", "mae", "mse", "predict",
]
