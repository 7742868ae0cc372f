// Publishing the current map as a signed embed (map page), and the list with revoke (embeds page).
"use strict";

const publishForm = document.getElementById("publish");
if (publishForm) {
  publishForm.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const p = window.currentPlan;
    const title = publishForm.elements.title.value.trim();
    const days = Number(publishForm.elements.days.value);
    showFieldError("p-title-error", title ? "" : T.field_required);
    showFieldError("p-days-error", days >= 1 && days <= 365 ? "" : `${T.embed_expires}：1–365`);
    showFieldError("p-error", "");
    if (!title || !(days >= 1 && days <= 365) || !p) return;
    if (p.kind !== "heatmap" && p.kind !== "choropleth") { showFieldError("p-error", T.embed_kinds_only); return; }
    const params = Object.fromEntries(Object.entries(p.mapParams).filter(([, v]) => v !== "" && v !== undefined));
    if (params.hotspots) params.hotspots = true;
    try {
      const body = await (await api("/v1/embeds", { method: "POST", json: { kind: p.kind, title, expires_in_days: days, params } })).json();
      const url = location.origin + body.url;
      document.getElementById("p-snippet").value =
        `<iframe src="${url}" width="960" height="640" style="border:0" title="${title.replace(/"/g, "&quot;")}"></iframe>`;
      const open = document.getElementById("p-open");
      open.href = body.url;
      document.getElementById("published").hidden = false;
    } catch (e) {
      const field = e.body && e.body.field;
      showFieldError(field === "title" ? "p-title-error" : field === "expires_in_days" ? "p-days-error" : "p-error", e.message);
    }
  });
  document.getElementById("p-copy").addEventListener("click", async (ev) => {
    const text = document.getElementById("p-snippet");
    text.select();
    try { await navigator.clipboard.writeText(text.value); } catch (e) { document.execCommand("copy"); }
    ev.target.textContent = T.copied;
  });
}

const list = document.getElementById("embed-list");
async function loadEmbeds() {
  const data = await (await api("/v1/embeds")).json();
  const now = Date.now();
  const body = list.querySelector("tbody");
  body.replaceChildren(...(data.embeds.length ? data.embeds.map((e) => {
    const status = e.revoked_at ? T.embed_revoked : Date.parse(e.expires_at) < now ? T.embed_expired : T.embed_active;
    const actions = el("td");
    if (!e.revoked_at) {
      const button = el("button", { type: "button", "data-id": String(e.id), text: T.revoke });
      button.addEventListener("click", async () => {
        try { await api(`/v1/embeds/${e.id}`, { method: "DELETE" }); await loadEmbeds(); }
        catch (err) { showFieldError("embeds-error", err.message); }
      });
      actions.append(button, " ", el("a", { href: e.url, target: "_blank", rel: "noopener", text: T.preview }));
    }
    return el("tr", { "data-id": String(e.id) }, el("td", { text: String(e.id) }), el("td", { text: e.title }),
      el("td", { text: T["kind_" + e.kind] || e.kind }), el("td", { text: e.created_at.replace("T", " ").slice(0, 16) }),
      el("td", { text: e.expires_at.replace("T", " ").slice(0, 16) }), el("td", { class: "status", text: status }), actions);
  }) : [el("tr", {}, el("td", { colspan: "7", text: T.none_yet }))]));
}
if (list) loadEmbeds().catch((e) => showFieldError("embeds-error", e.message));
