// One article in full. Text goes in through textContent only.
"use strict";

async function show() {
  const id = new URLSearchParams(location.search).get("id") || "";
  const response = await fetch(`api/articles/${encodeURIComponent(id)}`);
  const title = document.getElementById("title");
  if (!response.ok) { title.textContent = "Article not found"; return; }
  const article = await response.json();
  document.title = `${article.title || "Untitled"} · Dateline`;
  title.textContent = article.title || "(untitled)";
  const source = [article.source.name, article.source.agency].filter(Boolean).join(" / ") || "unknown source";
  const published = article.published_at ? article.published_at.replace("T", " ").replace("Z", " UTC") : "undated";
  document.getElementById("meta").textContent = `${published} · ${source}${article.byline ? ` · ${article.byline}` : ""}`;
  const tags = [...article.countries, ...article.persons, ...article.organizations, ...article.topics.map((t) => t.label)];
  document.getElementById("tags").textContent = tags.join(" · ");
  const body = document.getElementById("body");
  for (const paragraph of article.body.split(/\n\s*\n/)) {
    const p = document.createElement("p");
    p.textContent = paragraph;
    body.append(p);
  }
  const quotes = article.quotes || [];
  for (const quote of quotes) {
    const item = document.createElement("li");
    item.textContent = `“${quote.text}” — ${quote.speaker || "unattributed"}`;
    document.getElementById("quote-list").append(item);
  }
  document.getElementById("quotes").hidden = quotes.length === 0;
  if (article.url && /^https?:\/\//.test(article.url)) {
    const original = document.getElementById("original");
    original.href = article.url;
    original.hidden = false;
  }
}

show();
