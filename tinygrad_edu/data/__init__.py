"""Data for training: datasets, mini-batches, augmentation, k-fold splits — all usable offline.

| file | holds |
| --- | --- |
| ``dataset.py`` | ``Dataset`` (the protocol), ``TensorDataset``, ``Subset``, ``random_split`` |
| ``loader.py`` | ``DataLoader``: shuffled mini-batches as Tensors on the current device |
| ``idx.py`` | the IDX file format of MNIST: ``read_idx``, ``write_idx`` |
| ``mnist.py`` | ``mnist()``, ``fashion_mnist()``: found offline or downloaded, checked, cached |
| ``synthetic.py`` | generated data: ``spiral``, ``moons``, ``regression``, ``shapes``, ``adding_problem``, ... |
| ``transforms.py`` | augmentation: ``RandomAffine`` and friends, ``RandomCrop``, ``ColorJitter``, ``Normalize`` |
| ``crossval.py`` | ``kfold``: the index splits of k-fold cross-validation (``train.cross_validate`` uses them) |

May import: the engine (backend, tensor, ...); never ``nn``, ``optim`` or anything above (``train`` builds on data).
"""

from . import transforms
from .crossval import kfold
from .dataset import Dataset, Subset, TensorDataset, random_split
from .idx import IDXFormatError, read_idx, write_idx
from .loader import DataLoader
from .mnist import DatasetNotFoundError, fashion_mnist, mnist
from .synthetic import SHAPE_CLASSES, adding_problem, digits, moons, regression, reverse_sequences, shapes, spiral

__all__ = [
    "SHAPE_CLASSES", "DataLoader", "Dataset", "DatasetNotFoundError", "IDXFormatError",
    "Subset", "TensorDataset", "adding_problem", "digits", "fashion_mnist", "kfold", "mnist",
    "moons", "random_split", "read_idx", "regression", "reverse_sequences", "shapes", "spiral", "transforms",
    "write_idx",
]
