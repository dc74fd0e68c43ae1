import sys

from .registry import main

sys.exit(main())
