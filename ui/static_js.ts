/**
 * The dashboard's only script, served as /static/app.js (CSP allows 'self' scripts only, so nothing is inline).
 * Progressive: every page works without it. On the overview it polls GET /garmin/sync/status about once a
 * second while a sync runs, updates the progress bar, job type and details in place, and when the sync ends
 * re-fetches the overview and swaps in the fresh totals, schedule and log rows. While idle it checks every
 * 15 s so a scheduled run shows up without a reload.
 */
export const APP_JS = `"use strict";
(function () {
  var panel = document.getElementById("sync-panel");
  if (!panel || !window.fetch) return;
  var bar = document.getElementById("sync-progress");
  var pctText = document.getElementById("sync-percent");
  var typeText = document.getElementById("sync-type");
  var details = document.getElementById("sync-details");
  var line = document.getElementById("sync-line");
  var TYPES = { full: "Full sync", activities: "Activities", health: "Health", workouts: "Workouts" };
  var STATES = { idle: "Idle", in_progress: "Running", completed: "Completed", failed: "Failed" };
  var running = panel.getAttribute("data-status") === "in_progress";
  var announced = line ? line.textContent : "";

  function apply(job) {
    var pct = Math.max(0, Math.min(100, Math.round((Number(job.progress) || 0) * 100)));
    panel.setAttribute("data-status", job.status);
    if (bar) {
      bar.value = pct;
      bar.textContent = pct + "%";
    }
    if (pctText) pctText.textContent = pct + "%";
    if (typeText) typeText.textContent = job.job_type ? (TYPES[job.job_type] || job.job_type) : "none";
    if (details) {
      var text = job.status === "failed" && job.error_message ? job.error_message : (job.details || "");
      if (job.items_total > 0) text += (text ? " · " : "") + job.items_done + " of " + job.items_total + " items";
      details.textContent = text;
    }
    if (line) {
      // Announce state changes and 10 % steps only, so screen readers are not flooded every second.
      var step = job.status === "in_progress" ? Math.floor(pct / 10) * 10 + "%" : (job.status === "idle" ? "" : pct + "%");
      var next = (STATES[job.status] || job.status) + (job.job_type ? ": " + (TYPES[job.job_type] || job.job_type) : "") +
        (step ? " " + step : "");
      if (next !== announced) {
        line.textContent = next;
        announced = next;
      }
    }
  }

  function refreshOverview() {
    return fetch("/", { headers: { accept: "text/html" }, credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.ok ? res.text() : ""; })
      .then(function (body) {
        if (!body) return;
        var doc = new DOMParser().parseFromString(body, "text/html");
        var parts = document.querySelectorAll("[data-refresh]");
        for (var i = 0; i < parts.length; i++) {
          var fresh = doc.getElementById(parts[i].id);
          if (fresh) parts[i].replaceWith(document.importNode(fresh, true));
        }
      });
  }

  function poll() {
    fetch("/garmin/sync/status", { headers: { accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (job) {
        if (!job) return;
        apply(job);
        var now = job.status === "in_progress";
        var finished = running && !now;
        running = now;
        if (finished) return refreshOverview();
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { setTimeout(poll, running ? 1000 : 15000); });
  }

  setTimeout(poll, running ? 1000 : 15000);
})();
`;
