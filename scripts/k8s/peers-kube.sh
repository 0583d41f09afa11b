# shellcheck shell=bash
# The Kubernetes control plane for opsctl's tests; sourced by scripts/peers.sh, which
# provides log/die/spawn/wait_for/check_ports_free/svc_up and PEERS_DIR, OFF, TIMEOUT.
#
# Four services, started in this order and stopped in reverse (`peers.sh start kube`
# starts all four, `peers.sh stop kube` stops them):
#   kube-etcd                etcd of its own (not the shared `etcd` peer: the API server
#                            compacts its etcd every 5 minutes and owns every key in it,
#                            and `start kube` must wipe cluster state without touching the
#                            etcd that lock tests use)
#   kube-apiserver           HTTPS on 127.0.0.1; CA-signed serving certificate; client
#                            certificates, static tokens and service-account tokens; RBAC;
#                            admission incl. ValidatingAdmissionPolicy
#   kube-controller-manager  deployment, replicaset, serviceaccount and namespace
#                            controllers (no scheduler: pods name their node)
#   kwok                     plays the kubelet of node `kwok-node-0`: pods on it become
#                            Running and Ready, except pods with an image whose tag ends in
#                            `-unready` (they stay Pending, so a rollout of such an image
#                            stalls with ProgressDeadlineExceeded)
#
# Binaries come from scripts/k8s/build.sh (`peers.sh install` runs it; cached by version).

KUBE_ETCD_PORT=$((25160 + OFF))
KUBE_ETCD_PEER_PORT=$((25161 + OFF))
KUBE_API_PORT=$((25162 + OFF))
# kwok's kubelet endpoint (container logs): the node's InternalIP is 127.0.0.1 and its
# kubelet port this one, so the API server proxies pods/log to kwok on loopback.
KUBE_KWOK_PORT=$((25163 + OFF))
KUBE_NODE=kwok-node-0
KUBE_SYSTEM_NS=opsctl-system
KUBE_SERVICES=(kube-etcd kube-apiserver kube-controller-manager kwok)

kube_dir() { printf '%s/kube' "$PEERS_DIR"; }
kube_bin() {
  local d; d="$(bash "$ROOT/scripts/k8s/build.sh" --print)"
  [ -x "$d/$1" ] || die "$1 is not built (run: $0 install, or bash scripts/k8s/build.sh)"
  printf '%s/%s' "$d" "$1"
}

# curl as the admin (static token), against the API server.  kube_api METHOD PATH [JSON]
kube_api() {
  local dir; dir="$(kube_dir)"
  local args=(-sS -m 10 --cacert "$dir/ca.crt" -H "Authorization: Bearer $(cat "$dir/admin.token")"
    -H 'Content-Type: application/json' -X "$1" -w '\n%{http_code}')
  [ -n "${3:-}" ] && args+=(--data "$3")
  curl "${args[@]}" "https://127.0.0.1:$KUBE_API_PORT$2"
}
# Create an object; an existing one (409) is fine.  kube_create PATH JSON
kube_create() {
  local out code
  out="$(kube_api POST "$1" "$2")" || die "kube bootstrap: POST $1 failed"
  code="${out##*$'\n'}"
  case "$code" in 200 | 201 | 202 | 409) return 0 ;; esac
  die "kube bootstrap: POST $1 answered $code: ${out%$'\n'*}"
}

# ---------------------------------------------------------------------------- certificates

kube_certs() {
  local dir="$1"
  ssl() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed for the kube certificates"; }
  ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 -subj "/CN=opsctl kube test CA" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
  # leaf NAME SUBJECT EXTENSIONS...
  leaf() {
    local name="$1" subj="$2"; shift 2
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" "$@" >"$dir/$name.ext"
    ssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "$subj" -keyout "$dir/$name.key" -out "$dir/$name.csr"
    ssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 825 \
      -extfile "$dir/$name.ext" -out "$dir/$name.crt"
    rm -f "$dir/$name.csr" "$dir/$name.ext"
  }
  leaf apiserver "/CN=kube-apiserver" "extendedKeyUsage=serverAuth" \
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:10.96.0.1"
  # The mTLS user: CN is the user name, O the group RBAC binds.
  leaf deployer "/O=opsctl:deployers/CN=opsctl-mtls-deployer" "extendedKeyUsage=clientAuth"
  # Service-account token signing key (RSA: what the API server's default issuer signs with).
  ssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$dir/sa.key"
  ssl pkey -in "$dir/sa.key" -pubout -out "$dir/sa.pub"
  rm -f "$dir/ca.srl"
  chmod 600 "$dir"/*.key
}

# ---------------------------------------------------------------------------- kube-etcd

start_kube_etcd() {
  local dir; dir="$(kube_dir)"
  command -v etcd >/dev/null 2>&1 || die "etcd not found (run: $0 install)"
  check_ports_free kube-etcd "$KUBE_ETCD_PORT" "$KUBE_ETCD_PEER_PORT"
  rm -rf "$dir"; mkdir -p "$dir"
  spawn kube-etcd etcd --name opsctl-kube --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$KUBE_ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$KUBE_ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$KUBE_ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$KUBE_ETCD_PEER_PORT" \
    --initial-cluster "opsctl-kube=http://127.0.0.1:$KUBE_ETCD_PEER_PORT" --initial-cluster-state new \
    --unsafe-no-fsync --logger zap --log-outputs stderr --log-level warn
}
ready_kube_etcd() {
  ETCDCTL_API=3 etcdctl --endpoints "http://127.0.0.1:$KUBE_ETCD_PORT" --command-timeout=3s endpoint health >/dev/null
}

# ---------------------------------------------------------------------------- kube-apiserver

start_kube_apiserver() {
  local dir bin; dir="$(kube_dir)"; bin="$(kube_bin kube-apiserver)"
  check_ports_free kube-apiserver "$KUBE_API_PORT"
  svc_up kube-etcd || die "kube-apiserver needs kube-etcd (start: $0 start kube)"
  wait_for kube-etcd ready_kube_etcd || die "kube-etcd is not ready"
  mkdir -p "$dir"
  rm -rf "$dir/serving" "$dir"/*.kubeconfig "$dir/in-cluster"
  kube_certs "$dir"
  # Static tokens, random per start: the admin (system:masters) runs the bootstrap, the
  # controller manager, kwok and the tests' seeding; the token deployer is a test user.
  openssl rand -hex 24 >"$dir/admin.token"
  openssl rand -hex 24 >"$dir/deployer.token"
  {
    echo "$(cat "$dir/admin.token"),opsctl-admin,opsctl-admin,system:masters"
    echo "$(cat "$dir/deployer.token"),opsctl-token-deployer,opsctl-token-deployer,opsctl:deployers"
  } >"$dir/tokens.csv"
  chmod 600 "$dir/tokens.csv" "$dir"/*.token
  # Priority-and-fairness is off: its bookkeeping costs CPU on a 2-core CI machine and
  # no test depends on it. WatchList is off: with it, 1.34 answers every watch that
  # allows bookmarks as a "watch list", which needs etcd's RequestWatchProgress (etcd
  # >= 3.4.31; Debian 12 has 3.4.23); clients then fall back to relisting with backoff
  # and kwok saw new pods only every 15-40 s.
  spawn kube-apiserver "$bin" \
    --etcd-servers="http://127.0.0.1:$KUBE_ETCD_PORT" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$KUBE_API_PORT" \
    --cert-dir="$dir/serving" --tls-cert-file="$dir/apiserver.crt" --tls-private-key-file="$dir/apiserver.key" \
    --client-ca-file="$dir/ca.crt" --token-auth-file="$dir/tokens.csv" \
    --service-account-issuer=https://kubernetes.default.svc \
    --service-account-key-file="$dir/sa.pub" --service-account-signing-key-file="$dir/sa.key" \
    --authorization-mode=RBAC --service-cluster-ip-range=10.96.0.0/16 \
    --enable-priority-and-fairness=false --feature-gates=WatchList=false --profiling=false --event-ttl=10m \
    --kubelet-preferred-address-types=InternalIP
  wait_for kube-apiserver ready_kube_apiserver || die "kube-apiserver did not become ready"
  kube_bootstrap
}
ready_kube_apiserver() {
  local dir; dir="$(kube_dir)"
  [ "$(curl -sS -m 3 --cacert "$dir/ca.crt" -H "Authorization: Bearer $(cat "$dir/admin.token")" \
    "https://127.0.0.1:$KUBE_API_PORT/readyz")" = ok ]
}

# RBAC, service accounts, the kwok node, tokens and kubeconfigs. Runs once per start of
# kube-apiserver (the state is fresh then).
kube_bootstrap() {
  local dir; dir="$(kube_dir)"
  local rules_rw='[{"apiGroups":["apps"],"resources":["deployments"],"verbs":["get","list","watch","patch","update"]}]'
  local rules_ro='[{"apiGroups":["apps"],"resources":["deployments"],"verbs":["get","list","watch"]}]'
  kube_create /api/v1/namespaces "{\"metadata\":{\"name\":\"$KUBE_SYSTEM_NS\"}}"
  kube_create /apis/rbac.authorization.k8s.io/v1/clusterroles \
    "{\"metadata\":{\"name\":\"opsctl-deployer\"},\"rules\":$rules_rw}"
  kube_create /apis/rbac.authorization.k8s.io/v1/clusterroles \
    "{\"metadata\":{\"name\":\"opsctl-viewer\"},\"rules\":$rules_ro}"
  local sa
  for sa in opsctl-deployer opsctl-viewer; do
    kube_create "/api/v1/namespaces/$KUBE_SYSTEM_NS/serviceaccounts" "{\"metadata\":{\"name\":\"$sa\"}}"
  done
  kube_create /apis/rbac.authorization.k8s.io/v1/clusterrolebindings \
    "{\"metadata\":{\"name\":\"opsctl-deployer\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"opsctl-deployer\"},\"subjects\":[{\"kind\":\"Group\",\"apiGroup\":\"rbac.authorization.k8s.io\",\"name\":\"opsctl:deployers\"},{\"kind\":\"ServiceAccount\",\"name\":\"opsctl-deployer\",\"namespace\":\"$KUBE_SYSTEM_NS\"}]}"
  kube_create /apis/rbac.authorization.k8s.io/v1/clusterrolebindings \
    "{\"metadata\":{\"name\":\"opsctl-viewer\"},\"roleRef\":{\"apiGroup\":\"rbac.authorization.k8s.io\",\"kind\":\"ClusterRole\",\"name\":\"opsctl-viewer\"},\"subjects\":[{\"kind\":\"ServiceAccount\",\"name\":\"opsctl-viewer\",\"namespace\":\"$KUBE_SYSTEM_NS\"}]}"
  # The node kwok plays; pods name it in spec.nodeName (there is no scheduler).
  kube_create /api/v1/nodes \
    "{\"metadata\":{\"name\":\"$KUBE_NODE\",\"annotations\":{\"kwok.x-k8s.io/node\":\"fake\"},\"labels\":{\"type\":\"kwok\"}}}"
  # Bound service-account tokens (TokenRequest), valid for a day.
  mkdir -p "$dir/in-cluster"
  kube_sa_token opsctl-deployer >"$dir/in-cluster/token"
  kube_sa_token opsctl-viewer >"$dir/viewer.token"
  cp "$dir/ca.crt" "$dir/in-cluster/ca.crt"
  printf '%s' "$KUBE_SYSTEM_NS" >"$dir/in-cluster/namespace"
  chmod 600 "$dir/in-cluster/token" "$dir/viewer.token"
  kube_kubeconfigs "$dir"
  kube_api GET /version | sed '$d' >"$dir/version.json"
}

kube_sa_token() { # SA -> prints the token
  local out code
  out="$(kube_api POST "/api/v1/namespaces/$KUBE_SYSTEM_NS/serviceaccounts/$1/token" \
    '{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":86400}}')"
  code="${out##*$'\n'}"
  [ "$code" = 201 ] || die "kube bootstrap: token for $1 answered $code: ${out%$'\n'*}"
  printf '%s' "${out%$'\n'*}" | sed -n 's/.*"token": *"\([^"]*\)".*/\1/p' | tr -d '\n'
}

kube_kubeconfigs() {
  local dir="$1" b64ca server="https://127.0.0.1:$KUBE_API_PORT"
  b64ca="$(base64 -w0 <"$dir/ca.crt")"
  # kubeconfig NAME CLUSTER-LINES USER-LINES
  kubeconfig() {
    cat >"$dir/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
current-context: opsctl-$1
clusters:
- name: opsctl-kube
  cluster:
    server: $server
$2
contexts:
- name: opsctl-$1
  context:
    cluster: opsctl-kube
    user: $1
users:
- name: $1
  user:
$3
EOF
    chmod 600 "$dir/$1.kubeconfig"
  }
  kubeconfig admin "    certificate-authority: $dir/ca.crt" "    token: $(cat "$dir/admin.token")"
  kubeconfig mtls "    certificate-authority-data: $b64ca" \
    "    client-certificate-data: $(base64 -w0 <"$dir/deployer.crt")
    client-key-data: $(base64 -w0 <"$dir/deployer.key")"
  kubeconfig token "    certificate-authority: $dir/ca.crt" "    token: $(cat "$dir/deployer.token")"
  kubeconfig viewer "    certificate-authority: $dir/ca.crt" "    tokenFile: $dir/viewer.token"
}

# ---------------------------------------------------------------------------- controllers, kwok

start_kube_controller_manager() {
  local dir bin; dir="$(kube_dir)"; bin="$(kube_bin kube-controller-manager)"
  svc_up kube-apiserver || die "kube-controller-manager needs kube-apiserver (start: $0 start kube)"
  # Without the serviceaccount controller no pod can be created (no `default` account);
  # the namespace controller lets tests delete their namespaces.
  spawn kube-controller-manager "$bin" --kubeconfig="$dir/admin.kubeconfig" \
    --controllers=deployment,replicaset,serviceaccount,namespace \
    --leader-elect=false --secure-port=0 --kube-api-qps=200 --kube-api-burst=400 \
    --concurrent-deployment-syncs=10 --concurrent-replicaset-syncs=10 --profiling=false
}
ready_kube_controller_manager() {
  # Its controllers have synced their caches (the log of this start says so), and the
  # serviceaccount controller has made `default` in our namespace.
  grep -q 'Caches are synced" controller="deployment"' "$PEERS_DIR/kube-controller-manager.log" &&
    grep -q 'Caches are synced" controller="ReplicaSet"' "$PEERS_DIR/kube-controller-manager.log" &&
    kube_api GET "/api/v1/namespaces/$KUBE_SYSTEM_NS/serviceaccounts/default" | tail -n1 | grep -qx 200
}

start_kwok() {
  local dir bin; dir="$(kube_dir)"; bin="$(kube_bin kwok)"
  svc_up kube-apiserver || die "kwok needs kube-apiserver (start: $0 start kube)"
  check_ports_free kwok "$KUBE_KWOK_PORT"
  # Container logs every pod serves (CRI log format); tests write what the pods "printed".
  mkdir -p "$dir/pod-logs"
  : >"$dir/pod-logs/current.log"
  : >"$dir/pod-logs/previous.log"
  kube_kwok_config >"$dir/kwok.yaml"
  kube_kwok_logs_config "$dir" >>"$dir/kwok.yaml"
  # The node's address is loopback: the API server dials it for pods/log and kwok answers
  # over TLS with the API server's own 127.0.0.1 certificate. Nothing dials a pod IP.
  spawn kwok "$bin" --config="$dir/kwok.yaml" --kubeconfig="$dir/admin.kubeconfig" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --cidr=10.0.0.1/24 --node-ip=127.0.0.1 --node-port="$KUBE_KWOK_PORT" \
    --server-address="127.0.0.1:$KUBE_KWOK_PORT" --tls-cert-file="$dir/apiserver.crt" --tls-private-key-file="$dir/apiserver.key" \
    --node-lease-duration-seconds=40
}
ready_kwok() {
  kube_api GET "/api/v1/nodes/$KUBE_NODE" | grep -Eq '"type": *"Ready"'
}

# kwok's own default pod stages (kustomize/stage/pod/fast in sigs.k8s.io/kwok v0.7.0)
# with two changes: pod-ready skips pods whose image tag ends in "-unready" (the selector
# key is a jq expression), and pod-complete (for Jobs) is left out: no test runs Jobs.
kube_kwok_config() {
  cat <<'EOF'
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options: {}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.status.podIP'
      operator: 'DoesNotExist'
    - key: '[.spec.containers[].image | endswith("-unready")] | any'
      operator: 'NotIn'
      values: ['true']
  next:
    statusTemplate: |
      {{ $now := Now }}

      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Ready
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: ContainersReady
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      phase: Running
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'Exists'
  next:
    finalizers:
      empty: true
    delete: true
EOF
}

# Every container of every pod serves these files as its current and previous log.
kube_kwok_logs_config() {
  cat <<EOF
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: pod-logs
spec:
  logs:
  - logsFile: $1/pod-logs/current.log
    previousLogsFile: $1/pod-logs/previous.log
EOF
}

# ---------------------------------------------------------------------------- env file

kube_env() {
  local dir; dir="$(kube_dir)"
  svc_up kube-apiserver && [ -f "$dir/admin.kubeconfig" ] || return 0
  echo "KUBE_API_URL=https://127.0.0.1:$KUBE_API_PORT"
  echo "KUBE_VERSION=$(sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' "$dir/version.json" 2>/dev/null)"
  echo "KUBE_CA_CERT=$dir/ca.crt"
  echo "KUBE_ADMIN_KUBECONFIG=$dir/admin.kubeconfig"
  echo "KUBE_MTLS_KUBECONFIG=$dir/mtls.kubeconfig"
  echo "KUBE_TOKEN_KUBECONFIG=$dir/token.kubeconfig"
  echo "KUBE_VIEWER_KUBECONFIG=$dir/viewer.kubeconfig"
  echo "KUBE_CLIENT_CERT=$dir/deployer.crt"
  echo "KUBE_CLIENT_KEY=$dir/deployer.key"
  echo "KUBE_SA_DIR=$dir/in-cluster"
  echo "KUBE_SA_SIGNING_KEY=$dir/sa.key"
  echo "KUBE_SYSTEM_NAMESPACE=$KUBE_SYSTEM_NS"
  echo "KUBE_NODE=$KUBE_NODE"
  echo "KUBE_POD_LOGS=$dir/pod-logs/current.log"
  echo "KUBE_POD_PREVIOUS_LOGS=$dir/pod-logs/previous.log"
  svc_up kube-controller-manager && echo "KUBE_CONTROLLERS=1"
  svc_up kwok && echo "KUBE_KWOK=1"
  true
}
