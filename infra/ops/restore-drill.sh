#!/usr/bin/env bash
# Restore drill (docs/operations.md, "Backups and the restore drill"): proves the latest scheduled
# backups restore, into scratch namespaces, without touching the live ones.
#
#   infra/ops/restore-drill.sh            run against the current kubectl context
#   KEEP=1 infra/ops/restore-drill.sh     leave the drill namespaces for inspection
#   POSTGRES_INSTANCE=<name> ...          also check the managed Postgres' point-in-time window
#
# For each namespace that keeps state it restores the newest completed backup of its schedule with
# its volumes (CSI snapshots) into drill-<namespace>-<stamp>, mounts every restored volume in a
# read-only checker pod and requires data on it; it restores the app namespace's objects from the
# cluster-resources backup the same way and compares them with the live ones. Every step prints one
# JSON line ({"step","ok",...}); the last one carries the restore times (the measured RTO).
# Exit 0 when every check passed, 1 when one failed, 2 on a missing tool or context.
set -euo pipefail

# The names below are the platform's (infra/platform/backups.ts, names.ts, storage.ts);
# test/infra/restore-drill.test.ts checks that the plan has each of them.
VELERO_NAMESPACE=velero
BACKUP_LOCATION=default
SNAPSHOT_CLASS=csi-snapshots
STATEFUL_NAMESPACES=(kafka monitoring)
STATEFUL_SCHEDULE_PREFIX=stateful-
RESOURCES_SCHEDULE=cluster-resources
APP_NAMESPACE=llmops
MAX_BACKUP_AGE_HOURS=36
CHECKER_IMAGE=busybox:1.37.0
TIMEOUT=${TIMEOUT:-20m}

STAMP=$(date -u +%Y%m%d%H%M%S)
FAILED=0
CREATED_NAMESPACES=()
RESTORES=()
declare -A SECONDS_TAKEN=()

report() { # step ok [key value]...
  local step=$1 ok=$2
  shift 2
  local extra=""
  while [ $# -ge 2 ]; do
    extra+=$(printf ',"%s":%s' "$1" "$(jq -Rn --arg v "$2" '$v')")
    shift 2
  done
  printf '{"step":"%s","ok":%s%s}\n' "$step" "$ok" "$extra"
  [ "$ok" = true ] || FAILED=1
}

cleanup() {
  [ "${KEEP:-0}" = 1 ] && return
  for ns in "${CREATED_NAMESPACES[@]}"; do kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; done
  for r in "${RESTORES[@]}"; do velero restore delete "$r" -n "$VELERO_NAMESPACE" --confirm >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

for tool in kubectl velero jq; do
  command -v "$tool" >/dev/null || { echo "restore-drill: $tool is required" >&2; exit 2; }
done
kubectl get namespace "$VELERO_NAMESPACE" >/dev/null 2>&1 || {
  echo "restore-drill: no $VELERO_NAMESPACE namespace in context $(kubectl config current-context 2>/dev/null || echo '?'): backups are off (platform.backups.enabled)" >&2
  exit 2
}

# 1. Velero can reach its storage.
phase=$(kubectl -n "$VELERO_NAMESPACE" get backupstoragelocations.velero.io "$BACKUP_LOCATION" -o jsonpath='{.status.phase}' 2>/dev/null || true)
report storage-location "$([ "$phase" = Available ] && echo true || echo false)" phase "${phase:-missing}"

# The newest completed backup of a schedule, and its age in hours.
latest_backup() {
  kubectl -n "$VELERO_NAMESPACE" get backups.velero.io -l "velero.io/schedule-name=$1" -o json |
    jq -r '[.items[] | select(.status.phase == "Completed")] | sort_by(.status.completionTimestamp) | last
           | if . == null then "" else "\(.metadata.name) \(.status.completionTimestamp)" end'
}
age_hours() { echo $(( ($(date -u +%s) - $(date -u -d "$1" +%s)) / 3600 )); }

# Sets RESTORE_PHASE (not echoed: a $(...) subshell would lose the bookkeeping for the cleanup).
restore() { # backup target-namespace source-namespace [velero restore flags...]
  local backup=$1 target=$2 source=$3
  shift 3
  local name="drill-${target#drill-}"
  local started
  started=$(date +%s)
  RESTORES+=("$name")
  CREATED_NAMESPACES+=("$target")
  velero restore create "$name" -n "$VELERO_NAMESPACE" --from-backup "$backup" \
    --include-namespaces "$source" --namespace-mappings "$source:$target" --wait "$@" >/dev/null || true
  SECONDS_TAKEN[$target]=$(( $(date +%s) - started ))
  RESTORE_PHASE=$(kubectl -n "$VELERO_NAMESPACE" get restores.velero.io "$name" -o jsonpath='{.status.phase}')
}

# A read-only pod per restored claim: the snapshot must have come back with data on it.
check_volumes() { # namespace
  local ns=$1 ok=true claims
  claims=$(kubectl -n "$ns" get pvc -o jsonpath='{.items[*].metadata.name}')
  [ -n "$claims" ] || { report "volumes-$ns" false reason "no PersistentVolumeClaim restored"; return; }
  for claim in $claims; do
    local pod="check-${claim:0:50}"
    kubectl -n "$ns" apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $pod, labels: {app.kubernetes.io/name: restore-drill}}
spec:
  restartPolicy: Never
  automountServiceAccountToken: false
  securityContext: {runAsNonRoot: true, runAsUser: 65532, seccompProfile: {type: RuntimeDefault}}
  containers:
    - name: check
      image: $CHECKER_IMAGE
      command: ["sh", "-c", "test -n \"\$(ls -A /data)\" && du -sk /data"]
      securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
      resources: {requests: {cpu: 10m, memory: 16Mi}, limits: {cpu: 100m, memory: 64Mi}}
      volumeMounts: [{name: data, mountPath: /data, readOnly: true}]
  volumes: [{name: data, persistentVolumeClaim: {claimName: $claim, readOnly: true}}]
YAML
    if kubectl -n "$ns" wait --for=jsonpath='{.status.phase}'=Succeeded "pod/$pod" --timeout="$TIMEOUT" >/dev/null 2>&1; then
      report "volume-$ns-$claim" true kib "$(kubectl -n "$ns" logs "$pod" | awk '{print $1}')"
    else
      ok=false
      report "volume-$ns-$claim" false phase "$(kubectl -n "$ns" get pod "$pod" -o jsonpath='{.status.phase}')"
    fi
  done
  [ "$ok" = true ]
}

# 2. Each stateful namespace: fresh backup, restored with its volumes, data on every volume.
for ns in "${STATEFUL_NAMESPACES[@]}"; do
  schedule="$STATEFUL_SCHEDULE_PREFIX$ns"
  read -r backup finished <<<"$(latest_backup "$schedule")" || true
  if [ -z "${backup:-}" ]; then
    report "backup-$ns" false schedule "$schedule" reason "no completed backup"
    continue
  fi
  age=$(age_hours "$finished")
  report "backup-$ns" "$([ "$age" -le "$MAX_BACKUP_AGE_HOURS" ] && echo true || echo false)" backup "$backup" age_hours "$age"
  target="drill-$ns-$STAMP"
  # Claims, volumes and the configuration beside them; the operators' pods are not restored (they
  # would reconcile the live cluster's objects).
  restore "$backup" "$target" "$ns" --restore-volumes=true \
    --include-resources persistentvolumeclaims,persistentvolumes,configmaps,secrets
  phase=$RESTORE_PHASE
  report "restore-$ns" "$([ "$phase" = Completed ] && echo true || echo false)" phase "$phase" seconds "${SECONDS_TAKEN[$target]}"
  [ "$phase" = Completed ] && check_volumes "$target" || true
done

# 3. The configuration: the app namespace's objects from the cluster-resources backup.
read -r backup finished <<<"$(latest_backup "$RESOURCES_SCHEDULE")" || true
if [ -z "${backup:-}" ]; then
  report backup-resources false schedule "$RESOURCES_SCHEDULE" reason "no completed backup"
else
  target="drill-$APP_NAMESPACE-$STAMP"
  kinds=deployments,services,configmaps,serviceaccounts,horizontalpodautoscalers,poddisruptionbudgets,networkpolicies
  restore "$backup" "$target" "$APP_NAMESPACE" --include-resources "$kinds" --restore-volumes=false
  phase=$RESTORE_PHASE
  # Restored Deployments stay scaled to zero: nothing in the drill namespace serves traffic.
  kubectl -n "$target" scale deployment --all --replicas=0 >/dev/null 2>&1 || true
  live=$(kubectl -n "$APP_NAMESPACE" get "$kinds" -o name 2>/dev/null | sort | tr '\n' ' ')
  restored=$(kubectl -n "$target" get "$kinds" -o name 2>/dev/null | sort | tr '\n' ' ')
  report restore-resources "$([ "$phase" = Completed ] && [ "$live" = "$restored" ] && echo true || echo false)" \
    phase "$phase" objects "$(wc -w <<<"$restored")" seconds "${SECONDS_TAKEN[$target]}"
fi

# 4. Managed Postgres: the cloud's point-in-time window (a restore goes to a new instance; see the runbook).
if [ -n "${POSTGRES_INSTANCE:-}" ]; then
  provider=$(kubectl get nodes -o jsonpath='{.items[0].spec.providerID}' | cut -d: -f1)
  case "$provider" in
    aws) window=$(aws rds describe-db-instances --db-instance-identifier "$POSTGRES_INSTANCE" \
           --query 'DBInstances[0].[BackupRetentionPeriod,LatestRestorableTime]' --output text) ;;
    gce) window=$(gcloud sql instances describe "$POSTGRES_INSTANCE" \
           --format='value(settings.backupConfiguration.pointInTimeRecoveryEnabled,settings.backupConfiguration.transactionLogRetentionDays)') ;;
    azure) window=$(az postgres flexible-server show --ids "$POSTGRES_INSTANCE" \
           --query '[backup.backupRetentionDays, backup.earliestRestoreDate]' --output tsv) ;;
    *) window="" ;;
  esac
  report postgres-pitr "$([ -n "$window" ] && echo true || echo false)" provider "$provider" window "$(tr '\n\t' '  ' <<<"$window")"
fi

times=$(for k in "${!SECONDS_TAKEN[@]}"; do printf '%s=%ss ' "$k" "${SECONDS_TAKEN[$k]}"; done)
report drill "$([ "$FAILED" = 0 ] && echo true || echo false)" restore_seconds "${times% }"
exit "$FAILED"
