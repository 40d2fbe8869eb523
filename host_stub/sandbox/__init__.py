"""A local CrowdTwist API, faithful to the documented service."""

from .cli import main
from .config import SandboxConfig
from .faults import Fault, FaultKind
from .people import DEMO_PEOPLE, DemoPerson
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
