"""Optimizers and learning-rate schedules, with PyTorch's arguments and semantics.

| file | contents |
| --- | --- |
| ``optimizer.py`` | ``Optimizer``: parameter groups, state, ``zero_grad``, ``step``, ``state_dict`` |
| ``sgd.py`` | ``SGD``: plain, momentum, Nesterov, weight decay |
| ``adam.py`` | ``Adam`` (bias-corrected moments, amsgrad) and ``AdamW`` (decoupled weight decay) |
| ``adagrad.py`` | ``Adagrad`` |
| ``rmsprop.py`` | ``RMSprop`` (momentum, centered) |
| ``lr_scheduler.py`` | ``StepLR``, ``MultiStepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LambdaLR``, |
|  | ``LinearLR`` (warm-up), ``ReduceLROnPlateau`` |

Each rule's formula is in its class docstring; ``docs/optimizers.md`` puts them side by side.

May import: the engine and ``backend``; never ``nn``'s users (``train``, ``models``, ``demo``, ``bench``).
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
