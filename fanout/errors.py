"""The error hierarchy every layer raises; the CLI turns these into one readable line."""


class FanoutError(Exception):
    """Base class for errors fanout reports to its user."""


class ConfigurationError(FanoutError):
    """Settings or arguments that cannot work (bad value, missing file, unknown consumer)."""
