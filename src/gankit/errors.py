"""The one exception type for user mistakes: the CLI prints its message on one line and exits non-zero."""


class GankitError(Exception):
    """A problem the user can fix (bad config, missing data, wrong run folder). Never a bug in gankit."""
