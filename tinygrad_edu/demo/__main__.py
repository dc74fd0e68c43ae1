import sys

from .registry import main

if (sys.stdout.encoding or "").lower().replace("-", "") != "utf8" and hasattr(sys.stdout, "reconfigure"):
    sys.stdout.reconfigure(errors="replace")  # a terminal without UTF-8 shows "?" for δ, ∂ … instead of failing

sys.exit(main())
