#!/usr/bin/env bash
# One-shot, run by the `es-setup` service of docker-compose.yml: sets the kibana_system password and creates
# least-privilege roles and users for the Dateline services. Idempotent (PUT/POST overwrite).
set -euo pipefail
ES="${ES_URL:-http://elasticsearch:9200}"
auth=(-u "elastic:${ELASTIC_PASSWORD:?}")
json=(-H "Content-Type: application/json")

until curl -fsS "${auth[@]}" "$ES/_cluster/health?wait_for_status=yellow&timeout=5s" >/dev/null; do
  echo "waiting for Elasticsearch"; sleep 3
done

curl -fsS "${auth[@]}" "${json[@]}" -X POST "$ES/_security/user/kibana_system/_password" \
  -d "{\"password\":\"${KIBANA_PASSWORD:?}\"}" >/dev/null

curl -fsS "${auth[@]}" "${json[@]}" -X PUT "$ES/_security/role/dateline_indexer" -d '{
  "cluster": ["monitor", "manage_index_templates"],
  "indices": [{"names": ["articles", "articles-*"],
               "privileges": ["create_index", "write", "view_index_metadata", "auto_configure"]}]
}' >/dev/null
curl -fsS "${auth[@]}" "${json[@]}" -X PUT "$ES/_security/role/dateline_search" -d '{
  "cluster": ["monitor"],
  "indices": [{"names": ["articles", "articles-*"], "privileges": ["read", "view_index_metadata"]}]
}' >/dev/null

curl -fsS "${auth[@]}" "${json[@]}" -X PUT "$ES/_security/user/dateline_indexer" \
  -d "{\"password\":\"${INDEXER_PASSWORD:?}\",\"roles\":[\"dateline_indexer\"]}" >/dev/null
curl -fsS "${auth[@]}" "${json[@]}" -X PUT "$ES/_security/user/dateline_search" \
  -d "{\"password\":\"${SEARCH_PASSWORD:?}\",\"roles\":[\"dateline_search\"]}" >/dev/null
echo "security set up"
