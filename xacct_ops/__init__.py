"""Operations for the xacct stacks: rollout (Automation API), verify (boto3), offline plan."""
