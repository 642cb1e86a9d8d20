// Runs /assets/app.js (its path is argv[2]) against a stand-in DOM and prints what it did, as
// JSON: which forms it submitted, the relabel menu's choice, the help's state, the lease
// renewals it posted and the release beacon. Used by ServeTests.appScriptKeysAndLease.
"use strict";
const fs = require("fs");
const script = fs.readFileSync(process.argv[2], "utf8");

function load() {
  const listeners = {}, windowListeners = {};
  const state = { submitted: [], fetches: [], beacons: [], intervals: [] };
  const forms = {};
  for (const id of ["act-keep", "act-drop", "act-skip", "act-undo", "act-relabel"]) {
    forms[id] = { submit() { state.submitted.push(id); } };
  }
  const select = { options: [{}, {}, {}], selectedIndex: 0 };
  const help = { shown: false, classList: { toggle() { help.shown = !help.shown; } } };
  const lease = { textContent: "" };
  const attributes = { "data-item": "7", "data-renew": "200", "data-lease": "2026-01-01T00:10:00.000Z" };
  const context = {
    document: {
      body: { getAttribute: (name) => attributes[name] },
      querySelector: () => ({ getAttribute: () => "CSRF-TOKEN" }),
      getElementById: (id) => id === "relabel-label" ? select : id === "help" ? help : id === "lease" ? lease : forms[id] || null,
      addEventListener: (type, f) => (listeners[type] = listeners[type] || []).push(f),
    },
    window: {
      setInterval: (f, ms) => state.intervals.push({ f, ms }),
      addEventListener: (type, f) => (windowListeners[type] = windowListeners[type] || []).push(f),
    },
    navigator: { sendBeacon: (url, blob) => { state.beacons.push({ url, body: blob.parts.join(""), type: blob.type }); return true; } },
    fetch: (url, options) => { state.fetches.push({ url, csrf: options.headers["X-CSRF-Token"], body: options.body }); return new Promise(() => {}); },
    Blob: class { constructor(parts, options) { this.parts = parts; this.type = options.type; } },
  };
  new Function("document", "window", "navigator", "fetch", "Blob", script)(
    context.document, context.window, context.navigator, context.fetch, context.Blob);
  const key = (k, extra = {}) => {
    let prevented = false;
    const event = Object.assign({ key: k, target: { tagName: "BODY" }, preventDefault() { prevented = true; } }, extra);
    (listeners.keydown || []).forEach((f) => f(event));
    return prevented;
  };
  const fire = (type) => (windowListeners[type] || []).forEach((f) => f({}));
  return { state, select, help, lease, key, fire };
}

// A reviewer leaves without deciding: the lease is renewed on the timer, then released.
const idle = load();
idle.state.intervals.forEach((i) => i.f());
idle.fire("pagehide");

// A reviewer works by keys.
const keys = load();
const ignored = [keys.key("x"), keys.key("k", { target: { tagName: "INPUT" } }), keys.key("k", { ctrlKey: true })];
keys.key("?");
const helpShown = keys.help.shown;
keys.key("r");
const prompt = keys.lease.textContent;
keys.key("2");
keys.key("r");
keys.key("9"); // past the menu: cancelled
keys.key("k"); keys.key("d"); keys.key("s"); keys.key("u");
keys.fire("pagehide"); // leaving by a decision: no release beacon

console.log(JSON.stringify({
  renewEveryMs: idle.state.intervals.map((i) => i.ms),
  renewals: idle.state.fetches,
  beacons: idle.state.beacons,
  ignored: ignored,
  helpShown: helpShown,
  prompt: prompt,
  submitted: keys.state.submitted,
  relabelIndex: keys.select.selectedIndex,
  beaconsAfterDecisions: keys.state.beacons.length,
}));
