#!/bin/sh
# Creates the Kubernetes Secrets the Deployments and components reference, in the
# namespace $NAMESPACE (default: kubectl's current one). A Secret that exists is left
# as it is (delete it to rotate). Tokens are random; credentials come from this
# shell's environment, so no secret is ever written to a file of this project.
set -eu
ns_args=""
if [ -n "${NAMESPACE:-}" ]; then ns_args="--namespace=$NAMESPACE"; fi

exists() {
    # shellcheck disable=SC2086  # ns_args is empty or one word
    kubectl get secret "$1" $ns_args >/dev/null 2>&1
}

create() {
    name="$1"
    shift
    # shellcheck disable=SC2086
    kubectl create secret generic "$name" $ns_args "$@" >/dev/null
    echo "secret $name created"
}

# the apps' token for their sidecar (dapr.io/api-token-secret)
if exists "dapr-api-token"; then
    echo "secret dapr-api-token exists: kept"
else
    create "dapr-api-token" \
        --from-literal=token="$(openssl rand -hex 32)"
fi

# the sidecars' token for their app (dapr.io/app-token-secret)
if exists "app-api-token"; then
    echo "secret app-api-token exists: kept"
else
    create "app-api-token" \
        --from-literal=token="$(openssl rand -hex 32)"
fi

# Kafka SASL credentials (the pub/sub component's secretKeyRefs)
if exists "kafka-credentials"; then
    echo "secret kafka-credentials exists: kept"
else
    create "kafka-credentials" \
        --from-literal=username="${KAFKA_USERNAME:?set KAFKA_USERNAME}" \
        --from-literal=password="${KAFKA_PASSWORD:?set KAFKA_PASSWORD}"
fi

# the SendGrid API key (mail)
if exists "mail-credentials"; then
    echo "secret mail-credentials exists: kept"
else
    create "mail-credentials" \
        --from-literal=apiKey="${MAIL_API_KEY:?set MAIL_API_KEY}"
fi

# the PostgreSQL connection string (ledger)
if exists "ledger-credentials"; then
    echo "secret ledger-credentials exists: kept"
else
    create "ledger-credentials" \
        --from-literal=connectionString="${LEDGER_CONNECTION_STRING:?set LEDGER_CONNECTION_STRING}"
fi
