// The counter's drop zones: files dropped or chosen go to POST /api/v1/scans (one job each); each
// job's progress comes from its events (SSE); when it is done its papers' cards are fetched in.
// Text from the server or the files is set with textContent only, never as HTML.
(function () {
  "use strict";
  const record = document.getElementById("record");
  if (!record) return;
  const csrf = () => (document.cookie.match(/(?:^|; )sohoa_csrf=([^;]*)/) || [])[1] || "";
  const say = (template, values) => template.replace(/%\((\w+)\)s/g, (_, k) => String(values[k]));

  function follow(job, list, part) {
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
        status.textContent = record.dataset.msgFailed + ": " + (state.error || "");
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
        item.remove();
        for (const card of cards) {
          papers.insertAdjacentHTML("beforeend", card);  // our own page's HTML, escaped by its templates
          htmx.process(papers.lastElementChild);
        }
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
    const body = new FormData();
    for (const file of files) body.append("files", file, file.name);
    body.append("record", zone.dataset.record);
    body.append("split", document.getElementById("split").value);  // a feeder's batch: its papers all come back
    if (zone.dataset.result) body.append("result", "true");
    else body.append("component", zone.dataset.component);
    const answer = await fetch("/api/v1/scans", {method: "POST", body, credentials: "same-origin",
                                                 headers: {"X-CSRF-Token": decodeURIComponent(csrf())}});
    const reply = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      problem.textContent = (reply.error && reply.error.message) || answer.statusText;
      problem.hidden = false;
      return;
    }
    for (const job of reply.jobs) follow(job, part.querySelector(".jobs"), part);
  }

  for (const zone of document.querySelectorAll(".dropzone")) {
    const input = zone.querySelector("input[type=file]");
    zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", () => zone.classList.remove("over"));
    zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); upload(zone, e.dataTransfer.files); });
    input.addEventListener("change", () => { upload(zone, input.files); input.value = ""; });
  }
})();
