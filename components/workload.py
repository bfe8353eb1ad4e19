"""Workload: the HTTP service behind the endpoint, deployed with an explicit Kubernetes provider.

A namespace that enforces the `restricted` Pod Security Standard, a Deployment that runs as
non-root with probes and resource limits, spread over zones, and a Service: NodePort on the node
port the NLB's target group uses (instance targets), or ClusterIP with a TargetGroupBinding that
the AWS Load Balancer Controller keeps filled with pod IPs (ip targets). The default image is an
unprivileged nginx that answers `/`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.settings import WorkloadSettings

APP_LABEL = "xacct-backend"
SERVICE_PORT = 80
"""The Service's port (in-cluster callers and the TargetGroupBinding use it)."""


def sample_site(port: int) -> str:
    """nginx config for the sample: every path answers 200 with what it received. Private
    integrations over VPC link v2 pass the stage in the path (/v1/...), so a backend serving
    only `/` would answer 404 through the API."""
    return (
        "server {\n"
        f"    listen {port};\n"
        "    location / {\n"
        "        default_type text/plain;\n"
        '        return 200 "xacct backend: $request_method $request_uri\\n";\n'
        "    }\n"
        "}\n"
    )


@dataclass(frozen=True, kw_only=True)
class WorkloadArgs:
    settings: WorkloadSettings
    kubernetes: k8s.Provider
    depends_on: list[pulumi.Resource] | None = None
    """What must exist before Kubernetes objects can be created (the node group)."""
    target_group_arn: pulumi.Input[str] | None = None
    """IP targets: bind the Service's pods to this target group with a TargetGroupBinding."""
    controller: pulumi.Resource | None = None
    """IP targets: the controller's release (it installs the TargetGroupBinding CRD)."""
    serves_tls: bool = False
    """TLS passthrough: the pods terminate TLS, so their probes speak HTTPS."""


class Workload(pulumi.ComponentResource):
    namespace: pulumi.Output[str]
    """The namespace the workload runs in."""

    def __init__(
        self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("xacct:workload:Workload", name, None, opts)
        s = args.settings
        ip_targets = args.target_group_arn is not None
        k8s_opts = pulumi.ResourceOptions(
            parent=self, provider=args.kubernetes, depends_on=args.depends_on or []
        )
        namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=s.namespace,
                labels={"pod-security.kubernetes.io/enforce": "restricted"},
            ),
            opts=k8s_opts,
        )
        labels = {"app.kubernetes.io/name": APP_LABEL}
        mounts = [k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp")]
        volumes = [
            k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs())
        ]
        if s.sample:
            site = k8s.core.v1.ConfigMap(
                f"{name}-site",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"{APP_LABEL}-site", namespace=namespace.metadata.name
                ),
                data={"default.conf": sample_site(s.port)},
                opts=k8s_opts,
            )
            mounts.append(
                k8s.core.v1.VolumeMountArgs(
                    name="site", mount_path="/etc/nginx/conf.d", read_only=True
                )
            )
            volumes.append(
                k8s.core.v1.VolumeArgs(
                    name="site",
                    config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=site.metadata.name),
                )
            )
        probe = k8s.core.v1.ProbeArgs(
            # The kubelet does not verify the certificate of an HTTPS probe.
            http_get=k8s.core.v1.HTTPGetActionArgs(
                path="/", port=s.port, scheme="HTTPS" if args.serves_tls else "HTTP"
            ),
            period_seconds=10,
            timeout_seconds=2,
        )
        k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata=k8s.meta.v1.ObjectMetaArgs(namespace=namespace.metadata.name, labels=labels),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                replicas=s.replicas,
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        automount_service_account_token=False,
                        security_context=k8s.core.v1.PodSecurityContextArgs(
                            run_as_non_root=True,
                            run_as_user=101,
                            seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                        ),
                        topology_spread_constraints=[
                            k8s.core.v1.TopologySpreadConstraintArgs(
                                max_skew=1,
                                topology_key="topology.kubernetes.io/zone",
                                when_unsatisfiable="ScheduleAnyway",
                                label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                            )
                        ],
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="backend",
                                image=s.image,
                                ports=[k8s.core.v1.ContainerPortArgs(container_port=s.port)],
                                readiness_probe=probe,
                                liveness_probe=probe,
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "50m", "memory": "64Mi"},
                                    limits={"cpu": "250m", "memory": "128Mi"},
                                ),
                                security_context=k8s.core.v1.SecurityContextArgs(
                                    allow_privilege_escalation=False,
                                    read_only_root_filesystem=True,
                                    capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                                ),
                                volume_mounts=mounts,
                            )
                        ],
                        volumes=volumes,
                    ),
                ),
            ),
            opts=k8s_opts,
        )
        service = k8s.core.v1.Service(
            f"{name}-service",
            # A fixed name: the TargetGroupBinding refers to it.
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=APP_LABEL, namespace=namespace.metadata.name, labels=labels
            ),
            spec=k8s.core.v1.ServiceSpecArgs(
                # IP targets reach the pods directly: no node port to open then.
                type="ClusterIP" if ip_targets else "NodePort",
                selector=labels,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http",
                        port=SERVICE_PORT,
                        target_port=s.port,
                        node_port=None if ip_targets else s.node_port,
                    )
                ],
            ),
            opts=k8s_opts,
        )
        if ip_targets:
            k8s.apiextensions.CustomResource(
                f"{name}-binding",
                api_version="elbv2.k8s.aws/v1beta1",
                kind="TargetGroupBinding",
                metadata=k8s.meta.v1.ObjectMetaArgs(namespace=namespace.metadata.name),
                spec={
                    "serviceRef": {"name": service.metadata.name, "port": SERVICE_PORT},
                    "targetGroupARN": args.target_group_arn,
                    "targetType": "ip",
                },
                opts=pulumi.ResourceOptions(
                    parent=self,
                    provider=args.kubernetes,
                    depends_on=[service, *([args.controller] if args.controller else [])],
                ),
            )
        self.namespace = namespace.metadata.name
        self.register_outputs({"namespace": self.namespace})
