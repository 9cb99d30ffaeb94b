#!/usr/bin/env bash
# One-shot, run by the `certs` service of docker-compose.yml as root in the Elasticsearch image: a CA and one
# certificate per server (Elasticsearch HTTP and transport, Kibana, Kafka's outside listener), as Elastic's reference
# compose makes them with elasticsearch-certutil. Existing files are kept, so a restart changes nothing; to rotate,
# delete the volume's instance directories (or all of it, for a new CA) and run `docker compose up certs` again.
set -euo pipefail
cd /usr/share/elasticsearch
out=/certs

if [ ! -f "$out/ca/ca.crt" ]; then
  echo "creating the CA"
  bin/elasticsearch-certutil ca --silent --pem --days "${CERT_DAYS:-1095}" --out /tmp/ca.zip
  unzip -qo /tmp/ca.zip -d "$out"
fi

# One certificate per Elasticsearch node and per Kafka broker: one of each by default, three with the cluster
# override (infra/compose/docker-compose.cluster.yml sets ES_NODES and KAFKA_BROKERS).
read -r -a es_nodes <<<"${ES_NODES:-elasticsearch}"
read -r -a kafka_brokers <<<"${KAFKA_BROKERS:-kafka}"

missing=()
for name in "${es_nodes[@]}" kibana; do
  [ -f "$out/$name/$name.crt" ] || missing+=("$name")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "creating the certificates of ${missing[*]}"
  {
    echo "instances:"
    for name in "${missing[@]}"; do
      printf '  - name: %s\n    dns: [%s, localhost]\n    ip: [127.0.0.1]\n' "$name" "$name"
    done
  } >/tmp/instances.yml
  bin/elasticsearch-certutil cert --silent --pem --days "${CERT_DAYS:-1095}" --in /tmp/instances.yml \
    --ca-cert "$out/ca/ca.crt" --ca-key "$out/ca/ca.key" --out /tmp/certs.zip
  unzip -qo /tmp/certs.zip -d "$out"
fi

# Kafka reads a PKCS#12 keystore; the Python clients check it against ca.crt like Elasticsearch's.
for name in "${kafka_brokers[@]}"; do
  if [ ! -f "$out/$name/$name.p12" ]; then
    echo "creating the certificate of $name"
    mkdir -p "$out/$name"
    bin/elasticsearch-certutil cert --silent --days "${CERT_DAYS:-1095}" --name "$name" --dns "$name,localhost" \
      --ip 127.0.0.1 --ca-cert "$out/ca/ca.crt" --ca-key "$out/ca/ca.key" \
      --pass "${KAFKA_KEYSTORE_PASSWORD:?}" --out "$out/$name/$name.p12"
  fi
done

# The CA certificate is public (every client reads it); keys are for their own server only (uid 1000, group 0 in
# the Elasticsearch, Kibana and Kafka images); the CA key stays root's, for the next certificate.
chown -R root:root "$out"
chmod 755 "$out" "$out/ca"
chmod 644 "$out/ca/ca.crt"
chmod 600 "$out/ca/ca.key"
for server in "${es_nodes[@]}" kibana "${kafka_brokers[@]}"; do
  chown -R 1000:0 "$out/$server"
  chmod 750 "$out/$server"
  find "$out/$server" -type f -exec chmod 640 {} +
done
echo "certificates ready"
