"""The one exception type for user mistakes, and the exit statuses of `gankit`: the CLI prints a user mistake's
message on one line and exits non-zero."""

# `gankit`'s exit statuses: 2 is also argparse's for a usage mistake; 130 is the shell's for Ctrl-C (128 + SIGINT).
EXIT_SYSTEM_ERROR, EXIT_USER_ERROR, EXIT_DIVERGED, EXIT_INTERRUPTED = 1, 2, 3, 130


class GankitError(Exception):
    """A problem the user can fix (bad config, missing data, wrong run folder). Never a bug in gankit."""
