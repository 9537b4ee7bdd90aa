// The counter's drop zones: files dropped or chosen go to POST /api/v1/scans (one job each); each
// job's progress comes from its events (SSE); when it is done its papers' cards are fetched in.
// A flagged paper's own zone sends one new scan of it (`replaces`): its card gives way to the new one.
// Text from the server or the files is set with textContent only, never as HTML.
(function () {
  "use strict";
  const record = document.getElementById("record");
  if (!record) return;
  const csrf = () => (document.cookie.match(/(?:^|; )sohoa_csrf=([^;]*)/) || [])[1] || "";
  const say = (template, values) => template.replace(/%\((\w+)\)s/g, (_, k) => String(values[k]));

  function follow(job, list, part, replaced) {
    const item = document.createElement("li");
    item.className = "job card";
    const name = document.createElement("strong");
    name.textContent = job.source_name;
    const bar = document.createElement("progress");
    bar.max = 1; bar.value = 0;
    const status = document.createElement("span");
    status.className = "job-status";
    status.textContent = record.dataset.msgQueued;
    item.append(name, " ", status, bar);
    list.append(item);
    const events = new EventSource("/api/v1/jobs/" + job.id + "/events");
    events.onmessage = async (message) => {
      const state = JSON.parse(message.data);
      if (state.error && !state.state) { events.close(); status.textContent = state.error.message; return; }
      if (state.pages_total) {
        bar.max = state.pages_total; bar.value = state.pages_done;
        status.textContent = say(record.dataset.msgPages, {done: state.pages_done, total: state.pages_total});
      }
      if (state.state === "failed") {
        events.close();
        status.textContent = record.dataset.msgFailed + ": " + ((state.error && state.error.message) || "");
        item.classList.add("error");
      } else if (state.state === "done") {
        events.close();
        const cards = [];
        for (const paper of state.papers || []) {
          if (!paper.id) { const p = document.createElement("p"); p.className = "error"; p.textContent = paper.error || ""; item.append(p); continue; }
          const answer = await fetch("/counter/papers/" + paper.id, {credentials: "same-origin"});
          if (answer.ok) cards.push(await answer.text());
        }
        if (!cards.length) return;
        const papers = part.querySelector(".papers");
        const old = replaced && document.getElementById("paper-" + replaced);
        item.remove();
        for (const card of cards) {
          // our own page's HTML, escaped by its templates; a new scan takes the place of the one it replaces
          if (old) old.insertAdjacentHTML("beforebegin", card);
          else papers.insertAdjacentHTML("beforeend", card);
          htmx.process(old ? old.previousElementSibling : papers.lastElementChild);
        }
        if (old) old.remove();
        if (part.dataset.state === "missing") {
          part.dataset.state = "digitized";
          const label = part.querySelector(".state");
          label.className = "state state-digitized";
          label.textContent = record.dataset.stateDigitized;
        }
      }
    };
  }

  async function upload(zone, files) {
    if (!files.length) return;
    const part = zone.closest(".component");
    const problem = zone.querySelector(".field-error");
    problem.hidden = true;
    const replaces = zone.dataset.replaces;
    const target = part.querySelector(".dropzone:not(.replace)").dataset;  // the component the paper serves
    const body = new FormData();
    for (const file of files) body.append("files", file, file.name);
    body.append("record", target.record);
    // a feeder's batch: its papers all come back; a new scan of one paper is that one paper
    body.append("split", replaces ? "none" : document.getElementById("split").value);
    if (replaces) body.append("replaces", replaces);
    if (target.result) body.append("result", "true");
    else body.append("component", target.component);
    const answer = await fetch("/api/v1/scans", {method: "POST", body, credentials: "same-origin",
                                                 headers: {"X-CSRF-Token": decodeURIComponent(csrf())}});
    const reply = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      problem.textContent = (reply.error && reply.error.message) || answer.statusText;
      problem.hidden = false;
      return;
    }
    for (const job of reply.jobs) follow(job, part.querySelector(".jobs"), part, replaces);
  }

  // Delegated from the record: the cards (and their zones) come and go as scans are done and accepted.
  const zoneOf = (e) => e.target.closest && e.target.closest(".dropzone");
  record.addEventListener("dragover", (e) => { const zone = zoneOf(e); if (zone) { e.preventDefault(); zone.classList.add("over"); } });
  record.addEventListener("dragleave", (e) => { const zone = zoneOf(e); if (zone) zone.classList.remove("over"); });
  record.addEventListener("drop", (e) => {
    const zone = zoneOf(e);
    if (!zone) return;
    e.preventDefault();
    zone.classList.remove("over");
    upload(zone, e.dataTransfer.files);
  });
  record.addEventListener("change", (e) => {
    const zone = zoneOf(e);
    if (!zone || e.target.type !== "file") return;
    upload(zone, e.target.files);
    e.target.value = "";
  });
})();
