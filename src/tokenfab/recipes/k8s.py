"""Kubernetes manifests for one evaluated deployment: a Deployment (one pod per instance,
requesting the instance's accelerators by the vendor's device-plugin resource name) and a
Service; a LeaderWorkerSet (leaderworkerset.x-k8s.io/v1, a custom resource of
kubernetes-sigs/lws) when one instance spans nodes, one pod per node. Shapes follow the
Kubernetes API types (apps/v1 Deployment, v1 Service, v1 ConfigMap) and the LWS API
(api/leaderworkerset/v1/leaderworkerset_types.go); tests check them against the
``kubernetes`` client's models and the LWS fields."""

from __future__ import annotations

import re
import shlex
from typing import Any

import yaml

from ..catalog.hardware import Accelerator
from ..errors import InputError
from .launch import Launch
from .shape import DEFAULT_PORT, Shape
from .stacks import K8S_RESOURCE, SERVE

CONFIG_DIR = "/config"


def name_of(model: str, stack: str) -> str:
    """A DNS-1035 label: lowercase, digits and '-', at most 63 characters."""
    raw = re.sub(r"[^a-z0-9-]+", "-", f"tokenfab-{model}-{stack}".lower()).strip("-")
    return raw[:63].rstrip("-")


def _container(image: str, argv: list[str], resource: str, count: int, files: bool, probe: bool) -> dict[str, Any]:
    c: dict[str, Any] = {
        "name": "server", "image": image, "command": ["sh", "-c", " ".join(argv)],
        "ports": [{"containerPort": DEFAULT_PORT, "name": "http"}],
        "resources": {"limits": {resource: str(count)}, "requests": {resource: str(count)}},  # Quantity: a string
        "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}],
    }
    if files:
        c["volumeMounts"].append({"name": "config", "mountPath": CONFIG_DIR})
    if probe:
        c["readinessProbe"] = {"httpGet": {"path": "/health", "port": DEFAULT_PORT}, "initialDelaySeconds": 60,
                               "periodSeconds": 10}
    return c


def _pod_spec(container: dict[str, Any], name: str, files: bool) -> dict[str, Any]:
    vols: list[dict[str, Any]] = [{"name": "dshm", "emptyDir": {"medium": "Memory"}}]
    if files:
        vols.append({"name": "config", "configMap": {"name": f"{name}-config"}})
    return {"containers": [container], "volumes": vols}


def manifests(launch: Launch, s: Shape, acc: Accelerator, stack: str, model: str) -> list[dict[str, Any]]:
    """The objects, in apply order."""
    resource = K8S_RESOURCE.get(acc.vendor)
    if resource is None:
        raise InputError(f"recipe = 'k8s': no Kubernetes device-plugin resource is known for {acc.vendor} "
                         f"accelerators ({acc.id}); known: {', '.join(K8S_RESOURCE)}")
    image = SERVE[stack].images[acc.vendor]
    name = name_of(model, stack)
    labels = {"app": name}
    argv = [shlex.quote(f"{CONFIG_DIR}/{a}" if a in launch.files else a) for a in launch.argv]
    files = bool(launch.files)
    out: list[dict[str, Any]] = []
    if files:
        out.append({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{name}-config", "labels": labels},
                    "data": dict(launch.files)})
    if not s.multi_node:
        pods, per_pod = s.instances, s.accelerators
        if stack == "trtllm" and s.replicas > 1 and not s.dp_attention:  # one trtllm-serve per model replica
            pods, per_pod = s.instances * s.replicas, s.tp * s.pp
        pod = _pod_spec(_container(image, argv, resource, per_pod, files, True), name, files)
        out.append({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "labels": labels},
                    "spec": {"replicas": pods, "selector": {"matchLabels": labels},
                             "template": {"metadata": {"labels": labels}, "spec": pod}}})
        selector = labels
    else:
        if not launch.worker_argv:
            raise InputError(f"recipe = 'k8s': one instance spans {s.nodes} nodes and no multi-node launch is "
                             f"generated for {SERVE[stack].name}; use --recipe vllm or sglang, or fewer accelerators")
        # Kubernetes expands $(VAR) in a container's command from its environment, which LWS fills
        # with the group's leader address and the pod's index (LWS_LEADER_ADDRESS, LWS_WORKER_INDEX)
        def env(a: str) -> str:
            return a.replace("{leader}", "$(LWS_LEADER_ADDRESS)").replace("{rank}", "$(LWS_WORKER_INDEX)")

        lead = [env(a) for a in argv]
        if stack == "vllm":
            lead = ["ray", "start", "--head", "--port=6379", "&&", *lead]
        work = [env(shlex.quote(a)) for a in launch.worker_argv]
        leader = _pod_spec(_container(image, lead, resource, s.per_node, files, True), name, files)
        worker = _pod_spec(_container(image, work, resource, s.per_node, files, False), name, files)
        out.append({"apiVersion": "leaderworkerset.x-k8s.io/v1", "kind": "LeaderWorkerSet",
                    "metadata": {"name": name, "labels": labels},
                    "spec": {"replicas": s.instances, "startupPolicy": "LeaderCreated",
                             "leaderWorkerTemplate": {
                                 "size": s.nodes, "restartPolicy": "RecreateGroupOnPodRestart",
                                 "leaderTemplate": {"metadata": {"labels": {**labels, "role": "leader"}},
                                                    "spec": leader},
                                 "workerTemplate": {"metadata": {"labels": labels}, "spec": worker}}}})
        selector = {**labels, "role": "leader"}
    out.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "labels": labels},
                "spec": {"selector": selector, "ports": [{"name": "http", "port": DEFAULT_PORT,
                                                          "targetPort": DEFAULT_PORT}]}})
    return out


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


def to_yaml(objs: list[dict[str, Any]]) -> str:
    return yaml.dump_all(objs, Dumper=_NoAliases, sort_keys=False, width=100)
