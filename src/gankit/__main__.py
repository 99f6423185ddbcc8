"""`python -m gankit ...` is `gankit ...`: how torchrun starts each process (`torchrun -m gankit train ...`)."""
import os
import sys

from gankit.cli import main


def torchrun_process() -> bool:
    """gankit.training.distributed.launched(), without loading torch (a second) for every other command."""
    if "WORLD_SIZE" not in os.environ:
        return False
    from gankit.training.distributed import launched

    return launched()


if not torchrun_process():
    sys.exit(main())

# One of torchrun's processes. Its run has ended (files written and closed, the gloo group left together), so it ends
# here without the interpreter's teardown: that teardown destroys what still holds gloo's threads (DDP's modules keep
# the process group alive after destroy_process_group) in no fixed order, and could abort a finished process with
# "terminate called without an active exception" (2 of the last 3 CI runs of `--nproc 2`).
try:
    code = main()
except SystemExit as e:  # the non-zero exits of a run every process stopped (interrupted, diverged, a peer failed)
    code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
