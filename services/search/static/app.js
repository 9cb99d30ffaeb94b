// The search page: plain DOM, no framework, no build step. Article text only ever reaches the page through
// textContent (or the highlight splitter below), never innerHTML, so markup inside an article stays text.
"use strict";

const FACETS = [
  ["countries", "Countries"],
  ["country_pairs", "Country pairs"],
  ["persons", "People"],
  ["organizations", "Organisations"],
  ["places", "Places"],
  ["topic_labels", "Topics"],
  ["speakers", "Quoted"],
  ["source", "Sources"],
  ["agency", "Agencies"],
  ["language", "Languages"],
];
const FACET_LABELS = Object.fromEntries(FACETS);
const PAGE_SIZE = 20;

const $ = (id) => document.getElementById(id);
const state = { q: "", speaker: "", filters: [], since: "", until: "", collapse: true, next: null };

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "text") node.textContent = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// Elasticsearch marks matches with <em>…</em> around the raw article text. Split on exactly those tags and
// make text nodes of everything else: a "<script>" in an article is shown, not run.
function highlighted(snippet) {
  const fragment = document.createDocumentFragment();
  snippet.split(/(<em>|<\/em>)/).reduce((inside, part) => {
    if (part === "<em>") return true;
    if (part === "</em>") return false;
    if (part) fragment.append(inside ? el("mark", { text: part }) : document.createTextNode(part));
    return inside;
  }, false);
  return fragment;
}

function readLocation() {
  const params = new URLSearchParams(location.search);
  state.q = params.get("q") || "";
  state.filters = params.getAll("filter").map((f) => {
    const i = f.indexOf(":");
    return [f.slice(0, i), f.slice(i + 1)];
  }).filter(([name, value]) => name && value);
  state.speaker = params.get("speaker") || "";
  state.since = params.get("since") || "";
  state.until = params.get("until") || "";
  state.collapse = params.get("collapse") !== "false";
}

function queryParams() {
  const params = new URLSearchParams();
  params.set("q", state.q.trim() || "*");
  for (const [name, value] of state.filters) params.append("filter", `${name}:${value}`);
  // With a speaker, the query words must be inside one quotation by that speaker.
  if (state.speaker.trim()) params.set("speaker", state.speaker.trim());
  if (state.since) params.set("since", state.since);
  if (state.until) params.set("until", state.until);
  if (!state.collapse) params.set("collapse", "false");
  return params;
}

function writeLocation() {
  const params = queryParams();
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

async function fetchPage(cursor) {
  const params = queryParams();
  for (const [name] of FACETS) params.append("facet", name);
  params.set("size", String(PAGE_SIZE));
  if (cursor) params.set("cursor", cursor);
  const response = await fetch(`api/search?${params}`);
  const body = await response.json();
  if (!response.ok) throw new Error(typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail));
  return body;
}

let generation = 0;
async function search() {
  const mine = ++generation;
  writeLocation();
  $("results").setAttribute("aria-busy", "true");
  try {
    const page = await fetchPage(null);
    if (mine !== generation) return;  // a newer search started while this one was in flight
    $("error").hidden = true;
    renderSummary(page);
    renderFilters();
    renderFacets(page.facets);
    renderTimeline(page.histogram);
    $("results").replaceChildren(...page.hits.map(renderHit));
    state.next = page.next;
    $("more").hidden = !page.next;
  } catch (error) {
    if (mine !== generation) return;
    $("error").textContent = `Search failed: ${error.message}`;
    $("error").hidden = false;
  } finally {
    if (mine === generation) $("results").setAttribute("aria-busy", "false");
  }
}

async function more() {
  if (!state.next) return;
  const page = await fetchPage(state.next);
  $("results").append(...page.hits.map(renderHit));
  state.next = page.next;
  $("more").hidden = !page.next;
}

function renderSummary(page) {
  const total = $("total");
  total.dataset.total = String(page.total);
  const stories = state.collapse && page.stories !== page.total ? ` in ${page.stories} stories` : "";
  total.textContent = `${page.total} article${page.total === 1 ? "" : "s"}${stories}`;
}

function renderFilters() {
  const chips = state.filters.map(([name, value], index) =>
    el("button", {
      type: "button",
      class: "chip",
      title: "Remove this filter",
      dataset: { facet: name, value },
      onclick: () => { state.filters.splice(index, 1); search(); },
    }, [`${FACET_LABELS[name] || name}: ${value} ×`]));
  $("active-filters").replaceChildren(...chips);
}

function renderFacets(facets) {
  const sections = [];
  for (const [name, label] of FACETS) {
    const buckets = facets[name] || [];
    if (!buckets.length) continue;
    const items = buckets.map((bucket) => {
      const active = state.filters.some(([n, v]) => n === name && v === bucket.value);
      return el("li", {}, [
        el("button", {
          type: "button",
          class: active ? "facet-value active" : "facet-value",
          dataset: { facet: name, value: bucket.value },
          onclick: () => {
            if (!active) state.filters.push([name, bucket.value]);
            search();
          },
        }, [el("span", { class: "value", text: bucket.value }), el("span", { class: "count", text: String(bucket.count) })]),
      ]);
    });
    sections.push(el("section", { class: "facet", dataset: { facet: name } }, [el("h2", { text: label }), el("ul", {}, items)]));
  }
  $("facets").replaceChildren(...sections);
}

function renderTimeline(buckets) {
  const timeline = $("timeline");
  if (!buckets.length) { timeline.replaceChildren(); return; }
  const highest = Math.max(...buckets.map((b) => b.count));
  const bars = buckets.map((bucket) => {
    const month = bucket.date.slice(0, 7);
    return el("button", {
      type: "button",
      class: "bar",
      title: `${month}: ${bucket.count}`,
      style: `height:${Math.max(4, Math.round((bucket.count / highest) * 60))}px`,
      dataset: { date: month, count: String(bucket.count) },
      onclick: () => {
        // A click narrows the date range to that month.
        const [year, mm] = month.split("-").map(Number);
        state.since = `${month}-01`;
        state.until = new Date(Date.UTC(year, mm, 0)).toISOString().slice(0, 10);
        $("since").value = state.since;
        $("until").value = state.until;
        search();
      },
    });
  });
  const axis = el("div", { class: "axis" }, [
    el("span", { text: buckets[0].date.slice(0, 7) }),
    el("span", { text: buckets[buckets.length - 1].date.slice(0, 7) }),
  ]);
  timeline.replaceChildren(el("div", { class: "bars" }, bars), axis);
}

function renderHit(hit) {
  const title = hit.highlight.title ? hit.highlight.title[0] : (hit.title || "(untitled)");
  const link = el("a", { href: `article.html?id=${encodeURIComponent(hit.id)}` }, [highlighted(title)]);
  const source = [hit.source.name, hit.source.agency].filter(Boolean).join(" / ") || "unknown source";
  const published = hit.published_at ? hit.published_at.slice(0, 16).replace("T", " ") : "undated";
  const meta = el("p", { class: "meta" }, [`${published} · ${source}`]);
  if (hit.countries.length) meta.append(` · ${hit.countries.join(", ")}`);
  if (hit.url) {
    meta.append(" · ");
    meta.append(el("a", { href: hit.url, rel: "noopener noreferrer", target: "_blank", text: "original" }));
  }
  const snippets = (hit.highlight.body || []).map((s) => el("p", { class: "snippet" }, ["… ", highlighted(s), " …"]));
  const quotes = (hit.quotes || []).map((q) =>
    el("blockquote", { class: "quote" }, ["“", highlighted(q.highlight || q.text), "” — ", q.speaker || "unattributed"]));
  return el("li", { class: "hit", dataset: { id: hit.id } }, [el("h3", {}, [link]), meta, ...snippets, ...quotes]);
}

function init() {
  readLocation();
  $("q").value = state.q;
  $("speaker").value = state.speaker;
  $("since").value = state.since;
  $("until").value = state.until;
  $("collapse").checked = state.collapse;
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    state.q = $("q").value;
    state.speaker = $("speaker").value;
    state.since = $("since").value;
    state.until = $("until").value;
    state.collapse = $("collapse").checked;
    search();
  });
  $("more").addEventListener("click", more);
  search();
}

init();
