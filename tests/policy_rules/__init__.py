"""Each rule of the pack against a table of props that pass and props that fail, with the exact
message (AWSGuard's assertHasResourceViolation, Checkov's pass/fail fixtures); stack rules on
resource lists with property dependencies; values unknown at preview. One test module per area
of policy/rules/ (test_<area>.py, its table of cases and its stack rules), test_pack.py for the
pack as a whole, support.py for what they share."""
