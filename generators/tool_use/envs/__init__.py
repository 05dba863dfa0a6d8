"""The executable environments, by name."""

from generators.tool_use.envs.base import Environment, ExecResult, ToolError
from generators.tool_use.envs.shop import ShopEnvironment
from generators.tool_use.envs.travel import TravelEnvironment

ENVIRONMENTS: dict[str, type[Environment]] = {"shop": ShopEnvironment, "travel": TravelEnvironment}

__all__ = ["ENVIRONMENTS", "Environment", "ExecResult", "ShopEnvironment", "ToolError", "TravelEnvironment"]
