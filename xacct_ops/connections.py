"""`connections`: every connection request to the provider's endpoint service, judged, and the
unexpected pending ones rejected on request.

A request is *expected* when its endpoint is the one a named consumer stack exports and its
owner is an allowed account. Anything else is reported: an allowed account's endpoint that no
consumer stack exports, or a stranger's (an account the service does not allow; PrivateLink
lets such requests in only while the principals allowed them). `--reject` rejects the pending
requests among them (boto3 `reject_vpc_endpoint_connections`), after confirmation; nothing is
ever accepted here (acceptance is the provider stack's `accept` phase), and a connection already
accepted is reported, never cut.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from components import outputs as keys

PENDING = "pendingAcceptance"


@dataclass(frozen=True)
class Connection:
    endpoint_id: str
    owner: str
    state: str
    verdict: str
    expected: bool

    @property
    def rejectable(self) -> bool:
        """Pending and not expected: what `--reject` turns away."""
        return self.state == PENDING and not self.expected


def service_connections(ec2: Any, service_id: str) -> list[dict[str, Any]]:
    """Every connection to the service, in every state (all pages)."""
    found: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        page = ec2.describe_vpc_endpoint_connections(
            Filters=[{"Name": "service-id", "Values": [service_id]}],
            **({"NextToken": token} if token else {}),
        )
        found += page.get("VpcEndpointConnections", [])
        token = page.get("NextToken")
        if not token:
            return found


def judge(
    raw: Iterable[Mapping[str, Any]],
    allowed_accounts: Iterable[str],
    exported: Mapping[str, str],
) -> list[Connection]:
    """`exported`: endpoint id → the consumer stack that exports it."""
    allowed = set(allowed_accounts)
    judged = []
    for connection in raw:
        endpoint = str(connection.get("VpcEndpointId", ""))
        owner = str(connection.get("VpcEndpointOwner", ""))
        state = str(connection.get("VpcEndpointState", ""))
        if owner not in allowed:
            verdict, expected = f"stranger: account {owner} is not allowed", False
        elif endpoint in exported:
            verdict, expected = f"expected ({exported[endpoint]})", True
        else:
            verdict = "unknown: an allowed account's endpoint that no named consumer stack exports"
            expected = False
        judged.append(Connection(endpoint, owner, state, verdict, expected))
    return sorted(judged, key=lambda c: (c.expected, c.endpoint_id))


def table(connections: list[Connection]) -> str:
    rows = [("endpoint", "account", "state", "verdict")]
    rows += [(c.endpoint_id, c.owner, c.state, c.verdict) for c in connections]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join(
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(r[:3])) + "  " + r[3] for r in rows
    )


def reject(ec2: Any, service_id: str, endpoint_ids: list[str]) -> list[str]:
    """Reject the endpoints' requests; what AWS could not reject, with its reason."""
    answer = ec2.reject_vpc_endpoint_connections(ServiceId=service_id, VpcEndpointIds=endpoint_ids)
    return [
        f"{item.get('ResourceId')}: {item.get('Error', {}).get('Message', 'not rejected')}"
        for item in answer.get("Unsuccessful", [])
    ]


def run_connections(
    stacks: Any,
    provider: str,
    consumers: tuple[str, ...],
    out: TextIO,
    ec2_for: Callable[[str, Mapping[str, str]], Any],
    *,
    reject_pending: bool,
    confirm: Callable[[str], str] | None,
) -> int:
    """Prints the judged connections; with `reject_pending`, rejects the unexpected pending
    ones (after `confirm` unless it is None). Exit status: 0 when every connection is
    expected (or the unexpected pending ones were rejected), 1 otherwise."""
    from xacct_ops.verify import outputs_of

    provider_outputs = outputs_of(
        stacks, provider, (keys.ENDPOINT_SERVICE_ID, keys.ALLOWED_ACCOUNT_IDS)
    )
    service_id = str(provider_outputs[keys.ENDPOINT_SERVICE_ID])
    exported: dict[str, str] = {}
    for consumer in consumers:
        endpoint = stacks.outputs(consumer).get(keys.INTERFACE_ENDPOINT_ID)
        if endpoint:
            exported[str(endpoint)] = consumer
        else:
            out.write(f"note: {consumer} exports no {keys.INTERFACE_ENDPOINT_ID} (not deployed?)\n")
    ec2 = ec2_for(provider, stacks.get_config(provider))
    found = judge(
        service_connections(ec2, service_id),
        provider_outputs[keys.ALLOWED_ACCOUNT_IDS],
        exported,
    )
    out.write(f"endpoint service {service_id}: {len(found)} connection request(s)\n")
    if found:
        out.write(table(found) + "\n")
    unexpected = [c for c in found if not c.expected]
    if not unexpected:
        return 0
    pending = [c for c in unexpected if c.rejectable]
    settled = [c for c in unexpected if not c.rejectable]
    for c in settled:
        out.write(
            f"note: {c.endpoint_id} ({c.owner}) is {c.state}: not rejected here; remove the "
            "account from xacct:consumerAccountIds, or reject it in the console on purpose\n"
        )
    if not reject_pending:
        if pending:
            out.write(f"{len(pending)} unexpected pending request(s): `connections --reject`\n")
        return 1
    if not pending:
        return 1
    names = ", ".join(f"{c.endpoint_id} ({c.owner})" for c in pending)
    if confirm is not None:
        answer = confirm(f"Reject {names}? Type 'reject': ")
        if answer.strip() != "reject":
            out.write("nothing rejected\n")
            return 1
    failures = reject(ec2, service_id, [c.endpoint_id for c in pending])
    for failure in failures:
        out.write(f"not rejected: {failure}\n")
    out.write(f"rejected {len(pending) - len(failures)} request(s)\n")
    return 1 if failures or settled else 0
