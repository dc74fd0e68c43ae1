"""``python -m tinygrad_edu.train --help``: the training command line (``train/cli.py``)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
