import sys

from xacct_ops.cli import main

sys.exit(main())
