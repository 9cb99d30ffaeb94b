#!/usr/bin/env bash
# One-shot, run by the `es-setup` service of docker-compose.yml: sets the kibana_system password and creates one
# least-privilege role and user per file in roles/ (user and role share the file's name; privileges.json says which
# API each privilege is for). Idempotent (PUT/POST overwrite), so re-running it also rotates the passwords.
set -euo pipefail
ES="${ES_URL:?}"
here="$(cd "$(dirname "$0")" && pwd)"
curl_es=(curl -fsS -u "elastic:${ELASTIC_PASSWORD:?}" -H "Content-Type: application/json")
if [ -n "${ES_CA_CERT:-}" ]; then curl_es+=(--cacert "$ES_CA_CERT"); fi

until "${curl_es[@]}" "$ES/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null; do
  echo "waiting for Elasticsearch"; sleep 3
done

"${curl_es[@]}" -X POST "$ES/_security/user/kibana_system/_password" \
  -d "{\"password\":\"${KIBANA_PASSWORD:?}\"}" >/dev/null

# The password of user NAME comes from the variable NAME_PASSWORD in upper case (DATELINE_INDEXER_PASSWORD, ...).
for role_file in "$here"/roles/*.json; do
  name="$(basename "$role_file" .json)"
  password_var="$(echo "${name}_PASSWORD" | tr '[:lower:]' '[:upper:]')"
  password="${!password_var:?$password_var is not set}"
  "${curl_es[@]}" -X PUT "$ES/_security/role/$name" --data-binary "@$role_file" >/dev/null
  "${curl_es[@]}" -X PUT "$ES/_security/user/$name" \
    -d "{\"password\":\"$password\",\"roles\":[\"$name\"]}" >/dev/null
  echo "role and user $name"
done
echo "security set up"
