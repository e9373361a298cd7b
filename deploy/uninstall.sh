#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Uninstalls Chaosplane without stranding a finalizer. The chaos objects go first, while the
# operator still runs to recover their faults and remove its finalizer (chaos-mesh/records):
# Schedules and Workflows (they create chaos objects), then every other kind the installation's
# CRDs serve, each waited for. Only when none is left is the installation itself deleted
# (`kubectl delete -k`): the operator, the daemon, RBAC, the namespace and the CRDs.
#
#   deploy/uninstall.sh [-k DIR] [options]
#
#   -k DIR               the kustomization you installed (default: the directory of this script)
#   --namespace NS       the operator's namespace (default: chaosplane)
#   --lease NAME         the operator's leader-election Lease (default: chaosplane-operator)
#   --timeout DURATION   how long each deletion may take (default: 5m)
#   --objects-only       delete the chaos objects, keep the installation
#   --remove-finalizers  the operator is gone for good: delete the chaos objects anyway, taking
#                        chaos-mesh/records off them. Their faults are NOT recovered by the
#                        operator; each one still injected is printed (see deploy/README.md).
#                        Ignored while the operator runs.
#
# kubectl comes from $KUBECTL (default: kubectl) and talks to the cluster KUBECONFIG names.
# Exit codes: 0 done; 1 an error (kubectl's message above); 2 chaos objects exist but the operator
# is not running (nothing was deleted).
set -euo pipefail

readonly FINALIZER=chaos-mesh/records
readonly CRD_PREFIX=customresourcedefinition.apiextensions.k8s.io/

kustomization=$(dirname -- "${BASH_SOURCE[0]}")
namespace=chaosplane
lease=chaosplane-operator
timeout=5m
objects_only=false
remove_finalizers=false

usage() { sed -n '3,23s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
fail() {
  echo "uninstall: $*" >&2
  exit 1
}

while (($# > 0)); do
  # --flag=value is --flag value.
  [[ $1 == --*=* ]] && set -- "${1%%=*}" "${1#*=}" "${@:2}"
  case $1 in
    -k) kustomization=${2:?-k needs a directory}; shift 2 ;;
    --namespace) namespace=${2:?--namespace needs a value}; shift 2 ;;
    --lease) lease=${2:?--lease needs a value}; shift 2 ;;
    --timeout) timeout=${2:?--timeout needs a value}; shift 2 ;;
    --objects-only) objects_only=true; shift ;;
    --remove-finalizers) remove_finalizers=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; fail "unknown argument: $1" ;;
  esac
done
[[ -d $kustomization ]] || fail "-k $kustomization: not a directory"

k() { "${KUBECTL:-kubectl}" "$@"; }

# The chaos resources (plural.group) this installation serves, in two waves: Schedules and
# Workflows (they create chaos objects), then the rest. Taken from the kustomization's CRDs that
# exist in the cluster, not from the API group, so another installation's kinds in the same group
# (chaos-mesh.org) are never touched.
first=()
rest=()
read_resources() {
  local names line
  # A failed read stops here (set -e): never delete CRDs on a guess that they hold no objects.
  names=$(k get -k "$kustomization" --ignore-not-found -o name)
  while IFS= read -r line; do
    [[ $line == "$CRD_PREFIX"* ]] || continue
    line=${line#"$CRD_PREFIX"}
    case $line in
      schedules.* | workflows.*) first+=("$line") ;;
      *) rest+=("$line") ;;
    esac
  done <<<"$names"
}

# "Kind.group/version namespace name" of every object of the given resources, one a line; one request per
# call (kubectl takes a comma-separated list of resources).
objects_of() {
  (($# > 0)) || return 0
  local joined
  joined=$(IFS=,; echo "$*")
  k get "$joined" --all-namespaces --ignore-not-found \
    -o jsonpath='{range .items[*]}{.kind}.{.apiVersion}{" "}{.metadata.namespace}{" "}{.metadata.name}{"\n"}{end}' |
    sed '/^$/d'
}

# True when the operator's leader renews its Lease: the renewal time changes within a lease
# period (the leader renews every --retry-period, 2 s by default). Reading a change, not
# comparing clocks, so the check holds whatever the skew between this machine and the cluster.
operator_alive() {
  local first now waited=0 limit
  first=$(lease_state) || return 1
  [[ -n $first ]] || return 1
  limit=${first##*|}
  limit=$((${limit:-15} + 5))
  while ((waited < limit)); do
    sleep 1
    waited=$((waited + 1))
    now=$(lease_state) || return 1
    [[ -n $now ]] || return 1
    [[ $now != "$first" ]] && return 0
  done
  return 1
}

# "holder|renewTime|leaseDurationSeconds" of the operator's Lease; empty when no one holds it
# (a released Lease has no holder; kubectl prints a stored null as "null").
lease_state() {
  local state
  state=$(k get lease -n "$namespace" "$lease" --ignore-not-found \
    -o jsonpath='{.spec.holderIdentity}|{.spec.renewTime}|{.spec.leaseDurationSeconds}')
  case ${state%%|*} in
    '' | null) echo '' ;;
    *) echo "$state" ;;
  esac
}

# Takes chaos-mesh/records (only that finalizer) off one object, printing the faults its status
# still calls injected. A JSON patch with a test: if the list changed meanwhile, nothing is removed.
release_object() {
  local resource=$1 ns=$2 name=$3 index=0 finalizer record
  while IFS= read -r record; do
    [[ -n $record ]] && echo "  NOT RECOVERED: $resource $ns/$name record $record" >&2
  done < <(k get "$resource" -n "$ns" "$name" --ignore-not-found \
    -o jsonpath='{range .status.experiment.containerRecords[?(@.phase!="Not Injected")]}{.id}{" ("}{.phase}{")\n"}{end}')
  while IFS= read -r finalizer; do
    if [[ $finalizer == "$FINALIZER" ]]; then
      k patch "$resource" -n "$ns" "$name" --type=json \
        -p "[{\"op\":\"test\",\"path\":\"/metadata/finalizers/$index\",\"value\":\"$FINALIZER\"},{\"op\":\"remove\",\"path\":\"/metadata/finalizers/$index\"}]"
      return
    fi
    index=$((index + 1))
  done < <(k get "$resource" -n "$ns" "$name" --ignore-not-found \
    -o jsonpath='{range .metadata.finalizers[*]}{@}{"\n"}{end}')
}

read_resources
all=$(objects_of "${first[@]}" "${rest[@]}")
count=$(grep -c . <<<"$all" || true)
echo "uninstall: $((${#first[@]} + ${#rest[@]})) chaos kinds served, $count objects of them"

# Deletes every object of the given resources and waits until each is gone: the operator
# recovers its records and removes its finalizer (or, with --remove-finalizers, this script
# removes it first).
delete_wave() {
  local objects joined ref ns name
  objects=$(objects_of "$@")
  [[ -n $objects ]] || return 0
  joined=$(IFS=,; echo "$*")
  echo "uninstall: deleting every $joined"
  if [[ $remove_finalizers == true ]]; then
    k delete "$joined" --all --all-namespaces --wait=false
    # Kind.group names the object's resource for kubectl.
    while read -r ref ns name; do release_object "${ref%/*}" "$ns" "$name"; done <<<"$objects"
  fi
  k delete "$joined" --all --all-namespaces --ignore-not-found --wait=true --timeout="$timeout"
}

if ((count > 0)); then
  if operator_alive; then
    echo "uninstall: the operator renews its Lease $namespace/$lease: it recovers what is deleted"
    # Never take a finalizer off what a running operator can still recover.
    [[ $remove_finalizers == false ]] || echo "uninstall: --remove-finalizers ignored: the operator runs" >&2
    remove_finalizers=false
  elif [[ $remove_finalizers == true ]]; then
    echo "uninstall: the operator is not running: removing $FINALIZER without recovery" >&2
  else
    cat >&2 <<EOF
uninstall: $count chaos objects exist, but no operator renews the Lease $namespace/$lease.
Deleting them now would leave them Terminating with $FINALIZER, their faults in place.
Start the operator again (kubectl apply -k $kustomization) and rerun this script, or rerun it
with --remove-finalizers if the operator is gone for good (deploy/README.md, "Uninstall").
Nothing was deleted.
EOF
    exit 2
  fi
  delete_wave "${first[@]}"
  delete_wave "${rest[@]}"
  left=$(objects_of "${first[@]}" "${rest[@]}")
  [[ -z $left ]] || fail "chaos objects are left (the installation is untouched):
$left"
fi

if [[ $objects_only == true ]]; then
  echo "uninstall: chaos objects gone; the installation is kept (--objects-only)"
  exit 0
fi
echo "uninstall: deleting the installation ($kustomization)"
# The daemon pods stop with SIGTERM: each undoes every fault it still holds on its node.
k delete -k "$kustomization" --ignore-not-found --wait=true --timeout="$timeout"
echo "uninstall: done"
