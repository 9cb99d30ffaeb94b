#!/usr/bin/env bash
# One-shot, run by the `kibana-setup` service once Kibana is healthy: the Dateline space, the dateline_analyst role
# (Kibana's role API) and user, and the newsroom dashboard imported into the space *once*: an import never
# overwrites, so a dashboard or search an analyst changed keeps the change; objects new in dateline.ndjson are added.
# To reset the shipped objects deliberately: the same request with ?overwrite=true (README, Kibana).
set -euo pipefail
KB="${KIBANA_URL:?}"
ES="${ES_URL:?}"
common=(-sS --cacert "${CA_CERT:?}" -u "elastic:${ELASTIC_PASSWORD:?}")
json=(-H "Content-Type: application/json" -H "kbn-xsrf: dateline")

status=$(curl "${common[@]}" "${json[@]}" -o /tmp/space.json -w '%{http_code}' -X POST "$KB/api/spaces/space" \
  -d '{"id": "dateline", "name": "Dateline", "description": "Dateline newsroom: articles, entities, countries"}')
case "$status" in 200 | 409) echo "space dateline ($status)" ;; *) cat /tmp/space.json; exit 1 ;; esac

curl -f "${common[@]}" "${json[@]}" -X PUT "$KB/api/security/role/dateline_analyst" \
  --data-binary @/setup/analyst-role.json >/dev/null
curl -f "${common[@]}" "${json[@]}" -X PUT "$ES/_security/user/dateline_analyst" \
  -d "{\"password\": \"${ANALYST_PASSWORD:?}\", \"roles\": [\"dateline_analyst\"], \"full_name\": \"Dateline analyst\"}" \
  >/dev/null
echo "role and user dateline_analyst"

curl -f "${common[@]}" -H "kbn-xsrf: dateline" -o /tmp/import.json \
  -F file=@/setup/dateline.ndjson "$KB/s/dateline/api/saved_objects/_import?overwrite=false"
cat /tmp/import.json; echo
errors=$(grep -o '"error":{"type":"[a-z_]*"' /tmp/import.json | sort | uniq -c || true)
if grep -q '"success":true' /tmp/import.json; then
  echo "imported"
elif [ -n "$errors" ] && ! grep -o '"error":{"type":"[a-z_]*"' /tmp/import.json | grep -vq '"conflict"'; then
  echo "kept what is there (conflicts only: the objects exist already)"
else
  echo "import failed: $errors"; exit 1
fi
