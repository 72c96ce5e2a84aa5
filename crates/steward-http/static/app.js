// Steward's small page behaviours. The UI works without this file; it only adds comfort.
"use strict";

// Below 800 px the menu folds behind a button (the stylesheet hides it only when this ran).
document.documentElement.classList.add("js");
document.addEventListener("click", (event) => {
  const toggle = event.target.closest && event.target.closest("#nav-toggle");
  if (!toggle) return;
  const header = toggle.closest("header");
  const open = header.classList.toggle("nav-open");
  toggle.setAttribute("aria-expanded", String(open));
});

// Forms marked with data-confirm ask before submitting (revoking a token, for example).
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
});

// The new-incident form shows the priority the matrix will give as impact and urgency change.
function updatePriorityPreview() {
  const out = document.getElementById("priority-preview");
  const impact = document.getElementById("impact");
  const urgency = document.getElementById("urgency");
  if (!out || !impact || !urgency) return;
  const matrix = out.dataset.matrix.split(",").map(Number);
  out.textContent = "P" + matrix[(Number(impact.value) - 1) * 3 + (Number(urgency.value) - 1)];
}
document.addEventListener("change", (event) => {
  if (event.target.id === "impact" || event.target.id === "urgency") updatePriorityPreview();
});
document.addEventListener("DOMContentLoaded", updatePriorityPreview);

// Attachments upload as the raw body with the session's CSRF token in a header: from the file
// button, or a screenshot pasted or a file dropped into the reply box.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (input.id !== "upload" || !input.files.length) return;
  upload(input, input.files[0], input.files[0].name);
});
document.addEventListener("paste", (event) => {
  const input = document.getElementById("upload");
  if (!input || event.target.id !== "reply-body") return;
  const file = [...(event.clipboardData ? event.clipboardData.files : [])].find((f) => f.type.startsWith("image/"));
  if (!file) return;
  event.preventDefault();
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  upload(input, file, "screenshot-" + stamp + "." + (file.type.split("/")[1] || "png"));
});
document.addEventListener("dragover", (event) => {
  if (event.target.id === "reply-body" && document.getElementById("upload")) event.preventDefault();
});
document.addEventListener("drop", (event) => {
  const input = document.getElementById("upload");
  if (!input || event.target.id !== "reply-body" || !event.dataTransfer.files.length) return;
  event.preventDefault();
  const file = event.dataTransfer.files[0];
  upload(input, file, file.name);
});
async function upload(input, file, name) {
  const url = input.dataset.url + "?filename=" + encodeURIComponent(name);
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": file.type || "application/octet-stream", "x-csrf-token": input.dataset.csrf },
    body: file,
  });
  if (response.ok) {
    window.location.reload();
  } else {
    // Said beside the button, not in a dialog that blocks the page.
    const problem = await response.json().catch(() => ({ error: { message: response.statusText } }));
    const shown = document.getElementById("upload-error");
    shown.textContent = name + ": " + problem.error.message;
    shown.hidden = false;
  }
}

// CI pickers (the new-incident form, a CI's relationship form) search the CMDB by name as you type.
let ciSearch;
document.addEventListener("input", (event) => {
  const input = event.target;
  if (!input.dataset || input.dataset.ciPicker === undefined) return;
  clearTimeout(ciSearch);
  const text = input.value.trim();
  if (text.length < 2 || text.startsWith("#")) return;
  ciSearch = setTimeout(async () => {
    const response = await fetch("/api/v1/cis?limit=10&q=" + encodeURIComponent(text));
    if (!response.ok) return;
    const list = document.getElementById(input.getAttribute("list"));
    list.replaceChildren(
      ...(await response.json()).items.map((ci) => {
        const option = document.createElement("option");
        option.value = "#" + ci.id + " " + ci.name;
        option.textContent = ci.class;
        return option;
      }),
    );
  }, 200);
});

// Live pages: the server says every few seconds how many notifications are unread (the bell),
// when a ticket of the reader's queues last changed (a queue offers to reload) and the version
// of the ticket on screen (a note when someone else changed it). See web/live.rs.
document.addEventListener("DOMContentLoaded", () => {
  const badge = document.getElementById("unread-count");
  if (!badge || typeof EventSource === "undefined") return;
  const banner = document.getElementById("live-banner");
  const queue = document.getElementById("live-queue");
  const ticket = document.getElementById("live-ticket");
  const url = "/live" + (ticket ? "?ticket=" + encodeURIComponent(ticket.dataset.ticket) : "");
  let firstLatest = null;
  let lastAlerts = null;
  let source = null;
  // The alert console redraws its table in place when alerts arrive or change, without a
  // reload (a form being filled elsewhere on the page is left alone).
  const consoleBox = document.getElementById("alert-console");
  const redraw = async () => {
    const answer = await fetch(window.location.href, { headers: { Accept: "text/html" } });
    if (!answer.ok) return;
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html").getElementById("alert-console");
    if (fresh) consoleBox.replaceChildren(...fresh.childNodes);
  };
  const onStatus = (event) => {
    const s = JSON.parse(event.data);
    if (consoleBox && s.alerts !== null) {
      if (lastAlerts !== null && s.alerts > lastAlerts) redraw();
      lastAlerts = s.alerts;
    }
    badge.textContent = s.unread > 0 ? String(s.unread) : "";
    badge.hidden = !(s.unread > 0);
    if (firstLatest === null) firstLatest = s.latest;
    let say = null;
    if (ticket && s.version !== null && String(s.version) !== ticket.dataset.version) say = banner.dataset.ticket;
    else if (queue && s.latest > firstLatest) say = banner.dataset.queue;
    if (say && banner.hidden) {
      banner.prepend(document.createTextNode(say + " "));
      banner.hidden = false;
    }
  };
  // One stream per visible tab: a browser allows few connections per site, so a hidden tab
  // lets its stream go and opens it again when shown.
  const open = () => {
    if (source) return;
    source = new EventSource(url);
    source.addEventListener("status", onStatus);
  };
  const close = () => { if (source) { source.close(); source = null; } };
  document.addEventListener("visibilitychange", () => (document.hidden ? close() : open()));
  window.addEventListener("pagehide", close);
  if (!document.hidden) open();
});

// Markdown preview: a Preview button shows the text as the page will, rendered by the server
// (the same safe renderer that stores replies), under the box it belongs to.
document.addEventListener("click", async (event) => {
  const button = event.target.closest && event.target.closest(".preview-button");
  if (!button) return;
  const box = document.getElementById(button.dataset.for);
  const out = document.getElementById(button.dataset.for + "-preview");
  const token = document.querySelector('meta[name="csrf-token"]');
  if (!box || !out) return;
  const answer = await fetch("/api/v1/markdown/preview", {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": token ? token.content : "" },
    body: JSON.stringify({ text: box.value }),
  });
  if (!answer.ok) return;
  out.innerHTML = (await answer.json()).html;
  out.hidden = false;
});

// A file chosen for an import is read into the text box the form sends (JSON told by its name).
document.addEventListener("change", async (event) => {
  const input = event.target;
  if (!input.dataset || !input.dataset.into || !input.files || !input.files[0]) return;
  const file = input.files[0];
  const box = document.getElementById(input.dataset.into);
  const format = document.getElementById(input.dataset.format);
  if (box) box.value = await file.text();
  if (format) format.value = file.name.toLowerCase().endsWith(".json") ? "json" : "";
});

// A canned reply picked above a text box goes in where the cursor is; the choice resets so the
// same text can be picked again.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!select.dataset || !select.dataset.insertInto || !select.value) return;
  const box = document.getElementById(select.dataset.insertInto);
  if (!box) return;
  const at = box.selectionStart ?? box.value.length;
  box.setRangeText(select.value, at, box.selectionEnd ?? at, "end");
  select.value = "";
  box.focus();
});

// Keyboard shortcuts (`?` lists them), ignored while typing in a field.
document.addEventListener("keydown", (event) => {
  const target = event.target;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
  const dialog = document.getElementById("shortcuts");
  if (!dialog) return;
  const go = (href) => { window.location.href = href; };
  const focus = (id) => { const el = document.getElementById(id); if (el) { event.preventDefault(); el.focus(); } };
  switch (event.key) {
    case "?": if (!dialog.open) dialog.showModal(); break;
    case "h": go("/"); break;
    case "i": go("/incidents"); break;
    case "n": go("/incidents/new"); break;
    case "/": focus(document.getElementById("search") ? "search" : "header-q"); break;
    case "r": focus("reply-body"); break;
  }
});

// Suggestions while a title is typed (the incident and problem forms): known errors, articles
// and open incidents that may be the same, from /api/v1/suggestions. Titles and snippets come
// HTML-escaped from the server, with the matched words in <b>.
let suggestTimer;
document.addEventListener("input", (event) => {
  const input = event.target;
  if (!input.dataset || input.dataset.suggest === undefined) return;
  const panel = document.getElementById(input.dataset.suggest);
  if (!panel) return;
  clearTimeout(suggestTimer);
  const text = input.value.trim();
  if (text.length < 2) { panel.hidden = true; return; }
  suggestTimer = setTimeout(async () => {
    const response = await fetch("/api/v1/suggestions?text=" + encodeURIComponent(text.slice(0, 500)));
    if (!response.ok) return;
    const found = await response.json();
    const groups = [["known_errors", found.known_errors], ["articles", found.articles], ["incidents", found.incidents]];
    let shown = 0;
    for (const [name, hits] of groups) {
      const section = panel.querySelector("[data-group='" + name + "']");
      if (!section) continue;
      const list = section.querySelector("ul");
      list.replaceChildren(...hits.map((hit) => {
        const item = document.createElement("li");
        const link = document.createElement("a");
        link.href = hit.href;
        link.target = "_blank";
        link.innerHTML = "<span class=\"tag\"></span> " + hit.title_html;
        link.querySelector(".tag").textContent = hit.number;
        item.append(link);
        if (hit.snippet_html) {
          const snippet = document.createElement("p");
          snippet.className = "snippet";
          snippet.innerHTML = hit.snippet_html;
          item.append(snippet);
        }
        return item;
      }));
      section.hidden = hits.length === 0;
      shown += hits.length;
    }
    panel.hidden = shown === 0;
  }, 250);
});

// A run's output, live (issue 21): /runbooks/runs/{id}/live sends new output chunks and the
// run's and its steps' states until the run ends. The text goes in as text, never as HTML.
(() => {
  const out = document.getElementById("run-output");
  // A finished run's page came with all its output; a running one's goes on from there.
  if (!out || out.dataset.live !== "1" || typeof EventSource === "undefined") return;
  const run = out.dataset.run;
  let after = Number(out.dataset.after) || 0;
  let ended = false;
  const source = new EventSource("/runbooks/runs/" + encodeURIComponent(run) + "/live?after=" + after);
  source.addEventListener("run", (event) => {
    const tick = JSON.parse(event.data);
    const stick = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
    for (const [seq, , text] of tick.chunks) {
      if (seq <= after) continue;
      after = seq;
      out.append(document.createTextNode(text));
    }
    if (stick) out.scrollTop = out.scrollHeight;
    for (const [idx, state] of tick.steps) {
      const cell = document.getElementById("step-state-" + idx);
      if (cell && cell.dataset.state !== state) {
        cell.dataset.state = state;
        cell.className = "step-" + state;
      }
    }
    const badge = document.getElementById("run-state");
    if (badge && badge.dataset.state !== tick.state) {
      badge.dataset.state = tick.state;
      badge.className = "run-" + tick.state;
    }
    if (tick.done && !ended) {
      ended = true;
      source.close();
      // The run ended while on screen: show its final page (states, artefacts) once.
      setTimeout(() => window.location.reload(), 300);
    }
  });
  source.addEventListener("error", () => {
    if (ended) source.close();
  });
})();

// A file input that fills a textarea (a runbook's YAML).
document.addEventListener("change", async (event) => {
  const input = event.target;
  if (!input.dataset || !input.dataset.fills || !input.files || !input.files[0]) return;
  const target = document.getElementById(input.dataset.fills);
  if (target) target.value = await input.files[0].text();
});

// The portal's search answers as one types: the server renders the answers box anew.
(() => {
  const input = document.getElementById("portal-q");
  const box = document.getElementById("portal-answers");
  if (!input || !box) return;
  let timer = null;
  let asked = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const mine = ++asked;
      const response = await fetch("/portal/answers?q=" + encodeURIComponent(input.value), { credentials: "same-origin" });
      // A lapsed session answers with the sign-in page: leave the box as it is.
      if (response.ok && !response.redirected && mine === asked) box.innerHTML = await response.text();
    }, 150);
  });
})();

// An order form: a field with a condition shows only while the field it depends on holds one
// of its values (hidden fields are disabled, so they send nothing); a file travels in its
// hidden field as JSON with its content in base64.
function orderValues(form, key) {
  const inputs = form.querySelectorAll("[name='a." + key + "']");
  const values = [];
  for (const i of inputs) {
    if (i.disabled) continue;
    if ((i.type === "checkbox" || i.type === "radio") && !i.checked) continue;
    if (i.value !== "") values.push(i.value);
  }
  return values;
}
function applyConditions() {
  const form = document.getElementById("order-form");
  if (!form) return;
  // Conditions may chain: settle them in a few passes.
  for (let pass = 0; pass < 5; pass++) {
    for (const box of form.querySelectorAll("[data-show-field]")) {
      const wanted = JSON.parse(box.dataset.showValues);
      const have = orderValues(form, box.dataset.showField);
      const numeric = box.dataset.showNumeric === "true";
      const show = have.some((v) => wanted.includes(v) || (numeric && v.trim() !== "" && wanted.some((w) => Number(w) === Number(v))));
      box.hidden = !show;
      for (const el of box.querySelectorAll("input, select, textarea")) el.disabled = !show;
    }
  }
}
document.addEventListener("change", (event) => {
  if (event.target.closest && event.target.closest("#order-form")) applyConditions();
});
document.addEventListener("input", (event) => {
  if (event.target.closest && event.target.closest("#order-form")) applyConditions();
});
document.addEventListener("DOMContentLoaded", applyConditions);
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!input.dataset || !input.dataset.into || !input.files) return;
  const target = document.getElementById(input.dataset.into);
  if (!target) return;
  const file = input.files[0];
  if (!file) {
    target.value = "";
    return;
  }
  const reader = new FileReader();
  reader.onload = () => {
    const data = String(reader.result);
    target.value = JSON.stringify({
      filename: file.name,
      content_type: file.type,
      content_base64: data.slice(data.indexOf(",") + 1),
    });
  };
  reader.readAsDataURL(file);
});

// A "print" button (the leaderboard): the browser's print dialog; the print style hides the rest.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-print]");
  if (button) window.print();
});
