"""cluster.py - a real Kubernetes control plane on loopback for the Kubernetes tests: etcd,
kube-apiserver (TLS with a CA of its own, a bearer token, RBAC) and kube-controller-manager (Jobs,
ReplicaSets, garbage collection... but no node lifecycle: the tests play the kubelet, so nothing
marks their nodes unreachable). The programs, kubectl among them, are built by
scripts/kube-tools into build/kube.

    with Cluster() as c:
        c.kubectl("apply", "-f", "deploy/")
        c.add_gpu_node("gpu-0", gpus=8)
"""
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
TOOLS = os.environ.get("ALLOT_KUBE_TOOLS", os.path.join(ROOT, "build", "kube"))
# kubectl of the same release as the API server (built with it), unless KUBECTL names another.
KUBECTL = os.environ.get("KUBECTL", os.path.join(TOOLS, "kubectl"))

# Controllers a cluster without kubelets can run: workloads create pods, owners collect them.
CONTROLLERS = ",".join([
    "job-controller", "cronjob-controller", "replicaset-controller", "deployment-controller",
    "statefulset-controller", "garbage-collector-controller", "namespace-controller",
    "serviceaccount-controller", "disruption-controller", "ttl-after-finished-controller",
])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(check, timeout=60, what="it"):
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="allot-kube-")
        self.procs = {}
        self.token = secrets.token_hex(16)
        self.port = None
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    # --- set-up ---------------------------------------------------------------------------

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _openssl(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)

    def _certificates(self):
        """A CA, the API server's certificate for 127.0.0.1 signed by it, and the service
        accounts' signing key."""
        p = self._path
        self._openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                      "-subj", "/CN=allot-test-ca", "-keyout", p("ca.key"), "-out", p("ca.crt"))
        self._openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=kube-apiserver",
                      "-keyout", p("server.key"), "-out", p("server.csr"))
        with open(p("server.ext"), "w") as f:
            f.write("subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n")
        self._openssl("x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"),
                      "-CAkey", p("ca.key"), "-CAcreateserial", "-days", "2",
                      "-extfile", p("server.ext"), "-out", p("server.crt"))
        self._openssl("genrsa", "-out", p("sa.key"), "2048")
        self._openssl("rsa", "-in", p("sa.key"), "-pubout", "-out", p("sa.pub"))
        with open(p("tokens.csv"), "w") as f:
            f.write("%s,allot-test-admin,allot-test-admin,system:masters\n" % self.token)

    def _spawn(self, name, argv):
        with open(self._path(name + ".log"), "a") as log:  # the child keeps its own copy
            self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=log,
                                                start_new_session=True)

    def _write_kubeconfig(self):
        config = {
            "apiVersion": "v1", "kind": "Config", "current-context": "test",
            "clusters": [{"name": "test", "cluster": {
                "server": self.url, "certificate-authority": self._path("ca.crt")}}],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "admin"}}],
        }
        with open(self.kubeconfig, "w") as f:
            json.dump(config, f)

    def start(self):
        for tool in ("etcd", "kube-apiserver", "kube-controller-manager", "kubectl"):
            if not os.access(os.path.join(TOOLS, tool), os.X_OK):
                raise RuntimeError("%s/%s is missing: run scripts/kube-tools" % (TOOLS, tool))
        self._certificates()
        self.start_etcd()
        self.port = free_port()
        self.url = "https://127.0.0.1:%d" % self.port
        self.start_apiserver()
        self._write_kubeconfig()
        self._spawn("kube-controller-manager", [
            os.path.join(TOOLS, "kube-controller-manager"), "--kubeconfig", self.kubeconfig,
            "--controllers", CONTROLLERS, "--leader-elect=false", "--bind-address", "127.0.0.1",
            "--secure-port", "0", "--service-account-private-key-file", self._path("sa.key"),
            "--root-ca-file", self._path("ca.crt")])

    def start_etcd(self):
        client, peer = free_port(), free_port()
        self.etcd_url = "http://127.0.0.1:%d" % client
        self._spawn("etcd", [
            os.path.join(TOOLS, "etcd"), "--data-dir", self._path("etcd"),
            "--listen-client-urls", self.etcd_url, "--advertise-client-urls", self.etcd_url,
            "--listen-peer-urls", "http://127.0.0.1:%d" % peer,
            "--initial-advertise-peer-urls", "http://127.0.0.1:%d" % peer,
            "--initial-cluster", "default=http://127.0.0.1:%d" % peer,
            "--unsafe-no-fsync"])  # a test cluster: durability is not what is tested

    def start_apiserver(self):
        """Starts (or starts again, on the same port and etcd) the API server."""
        p = self._path
        self._spawn("kube-apiserver", [
            os.path.join(TOOLS, "kube-apiserver"), "--etcd-servers", self.etcd_url,
            "--bind-address", "127.0.0.1", "--secure-port", str(self.port),
            "--advertise-address", "127.0.0.1", "--endpoint-reconciler-type", "none",
            "--tls-cert-file", p("server.crt"), "--tls-private-key-file", p("server.key"),
            "--client-ca-file", p("ca.crt"), "--token-auth-file", p("tokens.csv"),
            "--authorization-mode", "RBAC",
            "--service-account-key-file", p("sa.pub"),
            "--service-account-signing-key-file", p("sa.key"),
            "--service-account-issuer", "https://kubernetes.default.svc",
            "--service-cluster-ip-range", "10.0.0.0/24",
            # Pods need no service account to exist first (no kubelet mounts its token).
            "--disable-admission-plugins", "ServiceAccount", "--profiling=false"])
        wait_until(self.ready, 90, "kube-apiserver to be ready (see %s)" % p("kube-apiserver.log"))

    def stop_apiserver(self):
        self._stop("kube-apiserver")

    def ready(self):
        if self.procs["kube-apiserver"].poll() is not None:
            raise RuntimeError("kube-apiserver exited: " + self.log("kube-apiserver")[-2000:])
        try:
            return self.get("/readyz", raw=True) == "ok"
        except OSError:
            return False

    # --- use ------------------------------------------------------------------------------

    def get(self, path, raw=False):
        """GET path from the API server as the admin; JSON unless raw."""
        ctx = ssl.create_default_context(cafile=self._path("ca.crt"))
        req = urllib.request.Request(self.url + path,
                                     headers={"Authorization": "Bearer " + self.token})
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            body = r.read().decode()
        return body if raw else json.loads(body)

    def kubectl(self, *args, input=None, check=True):
        """kubectl against this cluster; its result (stdout, stderr, returncode)."""
        r = subprocess.run([KUBECTL, "--kubeconfig", self.kubeconfig, *args], input=input,
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("kubectl %s: %s" % (" ".join(args), r.stderr.strip()))
        return r

    def apply(self, manifest):
        """kubectl apply of a manifest given as a dict (or a list of them)."""
        items = manifest if isinstance(manifest, list) else [manifest]
        return self.kubectl("apply", "-f", "-", input=json.dumps(
            {"apiVersion": "v1", "kind": "List", "items": items}))

    def add_gpu_node(self, name, gpus=8, product="NVIDIA-H100-80GB-HBM3", memory_mib=81559,
                     cpu="64", memory="512Gi", labels=None, extra=None):
        """A node as a kubelet and NVIDIA's GPU feature discovery would show it: GPU capacity,
        product and memory labels, and a Ready condition (this test is its kubelet)."""
        node_labels = {"kubernetes.io/hostname": name, "nvidia.com/gpu.product": product,
                       "nvidia.com/gpu.memory": str(memory_mib)}
        node_labels.update(labels or {})
        self.apply({"apiVersion": "v1", "kind": "Node",
                    "metadata": {"name": name, "labels": node_labels}})
        resources = {"cpu": cpu, "memory": memory, "pods": "110", "nvidia.com/gpu": str(gpus)}
        resources.update(extra or {})  # more allocatable resources: nvidia.com/mig-1g.10gb
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        status = {"status": {"capacity": resources, "allocatable": resources, "conditions": [
            {"type": "Ready", "status": "True", "reason": "KubeletReady",
             "message": "played by the test", "lastHeartbeatTime": now,
             "lastTransitionTime": now}]}}
        self.kubectl("patch", "node", name, "--subresource", "status", "--type", "merge",
                     "-p", json.dumps(status))

    def log(self, name):
        with open(self._path(name + ".log")) as f:
            return f.read()

    # --- tear-down ------------------------------------------------------------------------

    def _stop(self, name):
        proc = self.procs.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            except ProcessLookupError:
                proc.wait()

    def stop(self):
        for name in ("kube-controller-manager", "kube-apiserver", "etcd"):
            self._stop(name)
        if os.environ.get("ALLOT_KUBE_KEEP"):  # for a look at the logs afterwards
            print("kube test cluster kept in " + self.dir)
            return
        shutil.rmtree(self.dir, ignore_errors=True)
