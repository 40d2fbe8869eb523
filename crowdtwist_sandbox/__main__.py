import sys

from .sandbox_cli import main

sys.exit(main())
