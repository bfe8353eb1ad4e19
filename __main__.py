"""Entry point: `pulumi up -s <stack>` builds the side that `xacct:role` names."""

from components.program import main

main()
