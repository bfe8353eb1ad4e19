"""`verify`'s look at the workload's pods, against a stand-in Kubernetes API: an HTTPS server on
127.0.0.1 with a certificate made here, which EKS's DescribeCluster (botocore's Stubber) names as
the cluster's endpoint and CA. The checks: the token is what `aws eks get-token` makes, the
answer names what no config check can know (ImagePullBackOff, a crash, Pod Security), and a
cluster this runner cannot reach is reported as not checked, never as passed."""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from components import outputs as keys
from xacct_ops import verify

x509 = pytest.importorskip("cryptography.x509", reason="cryptography comes with moto[server]")


def ready_pod(name: str, ready: bool = True, waiting: str | None = None) -> dict[str, Any]:
    container: dict[str, Any] = {"name": "backend", "state": {"running": {}}}
    if waiting:
        container["state"] = {"waiting": {"reason": waiting, "message": f"{waiting} details"}}
    return {
        "metadata": {"name": name},
        "status": {
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
            "containerStatuses": [container],
        },
    }


FORBIDDEN = {
    "items": [
        {
            "status": {
                "conditions": [
                    {
                        "type": "ReplicaFailure",
                        "status": "True",
                        "message": 'pods "xacct-backend-1" is forbidden: violates PodSecurity '
                        '"restricted:latest": runAsNonRoot != true',
                    }
                ]
            }
        }
    ]
}

POD_CASES = [
    ({"items": [ready_pod("a"), ready_pod("b")]}, {"items": []}, True, True, "2/2 Ready"),
    (
        {"items": [ready_pod("a"), ready_pod("b", False, "ImagePullBackOff")]},
        {"items": []},
        False,
        True,
        "1/2 Ready; b: ImagePullBackOff ImagePullBackOff details",
    ),
    (
        {"items": [ready_pod("a", False, "CrashLoopBackOff")]},
        {"items": []},
        False,
        True,
        "0/1 Ready; a: CrashLoopBackOff CrashLoopBackOff details",
    ),
    ({"items": [ready_pod("a", False)]}, {"items": []}, False, False, "0/1 Ready"),
    (
        {"items": []},
        FORBIDDEN,
        False,
        True,
        'no pods: pods "xacct-backend-1" is forbidden: violates PodSecurity '
        '"restricted:latest": runAsNonRoot != true',
    ),
    ({"items": []}, {"items": []}, False, False, "no pods yet"),
]


@pytest.mark.parametrize(("pods", "deployments", "ok", "settled", "detail"), POD_CASES)
def test_pods_are_judged_with_the_reason(
    pods: dict[str, Any], deployments: dict[str, Any], ok: bool, settled: bool, detail: str
) -> None:
    hop = verify.pods_hop(pods, deployments)
    assert (hop.ok, hop.settled, hop.detail) == (ok, settled, detail)


# ---- against a stand-in API server -----------------------------------------------------


def self_signed(common_name: str) -> tuple[str, bytes]:
    """A self-signed CA certificate valid for 127.0.0.1: (PEM, private key PEM)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), private


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The stand-in API server's certificate: (cert file, key file, PEM)."""
    pem, private = self_signed("kubernetes")
    folder = tmp_path_factory.mktemp("kube-api")
    (folder / "cert.pem").write_text(pem)
    (folder / "key.pem").write_bytes(private)
    return folder / "cert.pem", folder / "key.pem", pem


class KubeApi:
    """Answers the two reads `verify` makes; remembers what it was asked."""

    def __init__(self) -> None:
        self.pods: dict[str, Any] = {"items": [ready_pod("a"), ready_pod("b")]}
        self.status = 200
        self.requests: list[tuple[str, str]] = []


@pytest.fixture(scope="module")
def kube(certificate: tuple[Path, Path, str]) -> Iterator[tuple[KubeApi, str]]:
    api = KubeApi()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            api.requests.append((self.path, self.headers.get("Authorization", "")))
            body = json.dumps(api.pods if "/pods" in self.path else {"items": []}).encode()
            self.send_response(api.status)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate[0], certificate[1])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield api, f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class ProviderSession:
    """A boto3 session whose EKS client answers DescribeCluster from a stub."""

    def __init__(self, endpoint: str, ca_pem: str) -> None:
        self.session = boto3.Session(
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
            region_name="us-east-1",
        )
        self.region_name = "us-east-1"
        self.endpoint, self.ca_pem = endpoint, ca_pem

    def client(self, name: str, **kwargs: Any) -> Any:
        client = self.session.client(name, **kwargs)
        if name == "eks":
            stub = Stubber(client)
            stub.add_response(
                "describe_cluster",
                {
                    "cluster": {
                        "name": "xacct-eks",
                        "endpoint": self.endpoint,
                        "certificateAuthority": {
                            "data": base64.b64encode(self.ca_pem.encode()).decode()
                        },
                    }
                },
                {"name": "xacct-eks"},
            )
            stub.activate()
        return client

    def get_credentials(self) -> Any:
        return self.session.get_credentials()


def test_the_pods_are_read_with_an_eks_token_over_verified_tls(
    kube: tuple[KubeApi, str], certificate: tuple[Path, Path, str]
) -> None:
    api, endpoint = kube
    api.requests.clear()
    hop = verify.check_workload(ProviderSession(endpoint, certificate[2]), "xacct-eks", "xacct")
    assert (hop.ok, hop.skipped, hop.detail) == (True, False, "2/2 Ready")
    (pods_path, authorization), (deployments_path, _) = api.requests
    assert (
        pods_path
        == "/api/v1/namespaces/xacct/pods?labelSelector=app.kubernetes.io%2Fname%3Dxacct-backend"
    )
    assert deployments_path == "/apis/apps/v1/namespaces/xacct/deployments"
    # What `aws eks get-token` sends: a presigned GetCallerIdentity naming the cluster.
    assert authorization.startswith("Bearer k8s-aws-v1.")
    encoded = authorization.removeprefix("Bearer k8s-aws-v1.")
    url = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert url.startswith("https://sts.us-east-1.amazonaws.com/")
    assert query["Action"] == ["GetCallerIdentity"]
    assert query["X-Amz-SignedHeaders"] == ["host;x-k8s-aws-id"]
    assert query["X-Amz-Expires"] == ["60"]


def test_a_pod_that_cannot_pull_its_image_fails_with_the_reason(
    kube: tuple[KubeApi, str], certificate: tuple[Path, Path, str]
) -> None:
    api, endpoint = kube
    api.pods = {"items": [ready_pod("x", False, "ImagePullBackOff")]}
    try:
        hop = verify.check_workload(ProviderSession(endpoint, certificate[2]), "xacct-eks", "xacct")
    finally:
        api.pods = {"items": [ready_pod("a"), ready_pod("b")]}
    assert not hop.ok and hop.detail == "0/1 Ready; x: ImagePullBackOff ImagePullBackOff details"


def test_an_identity_without_access_is_told_what_to_add(
    kube: tuple[KubeApi, str], certificate: tuple[Path, Path, str]
) -> None:
    api, endpoint = kube
    api.status = 403
    try:
        hop = verify.check_workload(ProviderSession(endpoint, certificate[2]), "xacct-eks", "xacct")
    finally:
        api.status = 200
    assert not hop.ok and "refused this identity (403)" in hop.detail
    assert "xacct:clusterAdminArns" in hop.detail


def test_a_private_endpoint_is_not_checked_and_says_how_to(
    certificate: tuple[Path, Path, str],
) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"https://127.0.0.1:{s.getsockname()[1]}"
    hop = verify.check_workload(ProviderSession(closed, certificate[2]), "xacct-eks", "xacct")
    assert hop.skipped and hop.ok
    assert hop.detail.startswith(f"not checked: the Kubernetes API at {closed} is not reachable")
    assert "kubectl -n xacct get pods -l app.kubernetes.io/name=xacct-backend" in hop.detail
    assert verify.format_table([hop]).splitlines()[-1].startswith("workload pods Ready (B)  SKIP ")


def test_a_certificate_other_than_the_clusters_is_refused(
    kube: tuple[KubeApi, str], certificate: tuple[Path, Path, str], tmp_path: Path
) -> None:
    _, endpoint = kube
    other = ssl.get_server_certificate(("127.0.0.1", int(endpoint.rsplit(":", 1)[1])))
    assert other.strip() == certificate[2].strip()  # the server's own; now claim another CA
    stranger, _ = self_signed("someone-else")
    hop = verify.check_workload(ProviderSession(endpoint, stranger), "xacct-eks", "xacct")
    # Never a pass, nor a skip, over a connection to something that is not the cluster.
    assert not hop.ok and not hop.skipped
    assert hop.detail.startswith(f"TLS to the Kubernetes API at {endpoint} failed:")
    assert "CERTIFICATE_VERIFY_FAILED" in hop.detail


def test_a_provider_without_the_sample_workload_has_no_pods_to_check() -> None:
    outputs = {keys.CLUSTER_NAME: "xacct-eks"}
    assert verify.verify_provider(None, outputs, {"xacct:deployWorkload": "false"}) == []


def test_the_provider_checks_its_pods_in_the_configured_namespace(
    kube: tuple[KubeApi, str], certificate: tuple[Path, Path, str]
) -> None:
    api, endpoint = kube
    api.requests.clear()
    hops = verify.verify_provider(
        ProviderSession(endpoint, certificate[2]),
        {keys.CLUSTER_NAME: "xacct-eks"},
        {"xacct:workloadNamespace": "orders"},
    )
    assert [(h.name, h.ok, h.detail) for h in hops] == [
        ("workload pods Ready (B)", True, "2/2 Ready")
    ]
    assert api.requests[0][0].startswith("/api/v1/namespaces/orders/pods?")
