"""A local CrowdTwist API, faithful to the documented service."""

from .faults import Fault, FaultKind
from .people import DEMO_PEOPLE, DemoPerson
from .sandbox_cli import main
from .sandbox_config import SandboxConfig
from .server import Sandbox, SandboxThread, run_sandbox
from .state import LogRecord

__all__ = [
    "DEMO_PEOPLE",
    "DemoPerson",
    "Fault",
    "FaultKind",
    "LogRecord",
    "Sandbox",
    "SandboxConfig",
    "SandboxThread",
    "main",
    "run_sandbox",
]
