"""`python -m gankit ...` is `gankit ...`: how torchrun starts each process (`torchrun -m gankit train ...`)."""
import sys

from gankit.cli import main

sys.exit(main())
