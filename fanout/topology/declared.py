"""The topology this system declares, named for the environment in FANOUT_ENV (FIFO with
FANOUT_TOPOLOGY_FIFO=true)."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from fanout.topology.model import Topology


class EnvironmentSettings(BaseSettings):
    """Which environment's names to use (`local`, `staging`, `prod`, ...)."""

    model_config = SettingsConfigDict(env_prefix="FANOUT_", extra="ignore")

    env: str = Field(default="local", pattern=r"^[a-z][a-z0-9-]{0,30}$")


class TopologySettings(BaseSettings):
    """Shape of the topology: FANOUT_TOPOLOGY_FIFO=true declares a FIFO topic, queues and DLQs."""

    model_config = SettingsConfigDict(env_prefix="FANOUT_TOPOLOGY_", extra="ignore")

    fifo: bool = False


def declared_topology(prefix: str | None = None, *, fifo: bool | None = None) -> Topology:
    """The declared topology; the prefix defaults to FANOUT_ENV (or `local`), `fifo` to
    FANOUT_TOPOLOGY_FIFO (false)."""
    from consumers.catalog import CONSUMERS  # the services own which events they accept

    return Topology(
        prefix=prefix or EnvironmentSettings().env,
        consumers=CONSUMERS,
        fifo=TopologySettings().fifo if fifo is None else fifo,
    )
