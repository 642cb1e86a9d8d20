import Foundation

/// Every asset the pages use, embedded in the binary: no CDN, no build step, works offline.
enum Assets {
    static func response(_ name: String) -> ServeResponse {
        switch name {
        case "app.js": return ServeResponse(status: 200, headers: ["Content-Type": "text/javascript; charset=utf-8"], body: Data(script.utf8))
        case "app.css": return ServeResponse(status: 200, headers: ["Content-Type": "text/css; charset=utf-8"], body: Data(style.utf8))
        default: return ServeResponse(status: 404)
        }
    }

    /// The keys (k d r+digit e s u ?), the lease renewal while the page is open and its release
    /// when the reviewer leaves. The page works without it: every action is a form.
    static let script = #"""
        "use strict";
        (function () {
          var meta = document.querySelector('meta[name="csrf"]');
          var csrf = meta ? meta.getAttribute("content") : "";
          var body = document.body;
          var item = body.getAttribute("data-item");
          var renew = parseInt(body.getAttribute("data-renew") || "0", 10);
          var lease = body.getAttribute("data-lease") || "";
          var leaving = false;
          var pendingRelabel = false;

          function submit(id) {
            var form = document.getElementById(id);
            if (!form) return false;
            leaving = true;
            form.submit();
            return true;
          }
          function say(text) {
            var line = document.getElementById("lease");
            if (line) line.textContent = text;
          }
          document.addEventListener("submit", function (event) { if (!event.defaultPrevented) leaving = true; });

          // The edit form (e): an unchanged text is not saved, as the terminal's editor does.
          function editUnchanged() {
            var text = document.getElementById("edit-text");
            if (!text || text.value !== text.defaultValue) return false;
            say("edit cancelled (no change)");
            return true;
          }
          function closeEdit() {
            var edit = document.getElementById("edit");
            var text = document.getElementById("edit-text");
            if (edit) edit.open = false;
            if (text) text.blur();
          }
          var editForm = document.getElementById("act-edit");
          if (editForm) editForm.addEventListener("submit", function (event) { if (editUnchanged()) event.preventDefault(); });

          document.addEventListener("keydown", function (event) {
            if (event.target && event.target.id === "edit-text") {
              if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
                if (!editUnchanged()) submit("act-edit");
                event.preventDefault();
              } else if (event.key === "Escape") {
                closeEdit();
                event.preventDefault();
              }
              return;
            }
            if (event.ctrlKey || event.metaKey || event.altKey) return;
            var target = event.target;
            var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
            if (tag === "input" || tag === "textarea" || tag === "select") return;
            var key = event.key;
            if (pendingRelabel) {
              pendingRelabel = false;
              var select = document.getElementById("relabel-label");
              var n = parseInt(key, 10);
              if (select && n >= 1 && n <= Math.min(9, select.options.length)) {
                select.selectedIndex = n - 1;
                submit("act-relabel");
              } else {
                say("relabel cancelled");
              }
              event.preventDefault();
              return;
            }
            var acted = true;
            switch (key) {
              case "k": acted = submit("act-keep"); break;
              case "d": acted = submit("act-drop"); break;
              case "s": acted = submit("act-skip"); break;
              case "u": acted = submit("act-undo"); break;
              case "e":
                var edit = document.getElementById("edit");
                var text = document.getElementById("edit-text");
                if (edit && text) { edit.open = true; text.focus(); } else acted = false;
                break;
              case "r":
                if (document.getElementById("act-relabel")) { pendingRelabel = true; say("relabel: press the label's digit"); }
                break;
              case "?":
                var help = document.getElementById("help");
                if (help) help.classList.toggle("shown");
                break;
              default: acted = false;
            }
            if (acted) event.preventDefault();
          });

          if (item && renew > 0) {
            window.setInterval(function () {
              fetch("/api/renew", {
                method: "POST",
                credentials: "same-origin",
                headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
                body: JSON.stringify({ item: item })
              }).then(function (response) {
                return response.json().then(function (doc) {
                  if (response.ok) { lease = doc.lease_expires_at; say("lease until " + doc.lease_expires_at); }
                  else say((doc.error && doc.error.message) || "the lease could not be renewed");
                });
              }).catch(function () { say("the server did not answer; the lease was not renewed"); });
            }, renew * 1000);

            window.addEventListener("pagehide", function () {
              if (leaving || !navigator.sendBeacon) return;
              var form = "csrf=" + encodeURIComponent(csrf) + "&item=" + encodeURIComponent(item) + "&lease=" + encodeURIComponent(lease);
              navigator.sendBeacon("/api/release", new Blob([form], { type: "application/x-www-form-urlencoded" }));
            });
          }
        })();

        """#

    static let style = """
        body { font: 15px/1.45 system-ui, sans-serif; margin: 0; color: #1b1b1b; background: #fafafa; }
        header { display: flex; gap: 1em; align-items: center; padding: .5em 1em; background: #eee; border-bottom: 1px solid #ccc; }
        header nav { flex: 1; }
        header form { display: inline; }
        main { padding: 1em; max-width: 110em; }
        .flash { background: #fff6d5; border: 1px solid #e5d38a; padding: .4em .6em; }
        .meta { font-size: 1.05em; }
        .uid { font-family: ui-monospace, monospace; }
        .flags li { margin: .2em 0; }
        .details { display: grid; grid-template-columns: max-content 1fr; gap: 0 .8em; margin: .2em 0 .4em 1em; font-size: .92em; }
        .details dt { color: #555; }
        .details dd { margin: 0; overflow-wrap: anywhere; }
        .content.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
        .pair { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
        pre.text { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 60vh; overflow: auto; background: #fff;
                   border: 1px solid #ddd; padding: .6em; margin: .2em 0 .8em; unicode-bidi: isolate; }
        h2 { font-size: 1em; margin: .6em 0 .2em; color: #444; }
        h3 { font-size: .9em; margin: .4em 0 0; color: #666; }
        .chat { list-style: none; padding: 0; }
        .turn .role { font-weight: 600; }
        .turn.role-assistant pre.text { background: #f1f6ff; }
        .turn.role-system pre.text { background: #f4f4f4; }
        .actions { display: flex; flex-wrap: wrap; gap: .5em; margin: 1em 0; }
        .actions form { display: inline-flex; gap: .3em; }
        .edit { margin: 0 0 1em; }
        .edit summary { cursor: pointer; color: #444; }
        .edit form { display: grid; gap: .4em; margin-top: .4em; }
        .edit textarea { font: .95em/1.4 ui-monospace, monospace; width: 100%; box-sizing: border-box; unicode-bidi: isolate; }
        .edit button { justify-self: start; }
        kbd { font-family: ui-monospace, monospace; border: 1px solid #aaa; border-radius: 3px; padding: 0 .3em; background: #fff; }
        .help { display: none; }
        .help.shown { display: block; }
        .lease { color: #666; font-size: .9em; }
        .hint { color: #666; align-self: center; }
        table.queues { border-collapse: collapse; }
        table.queues th, table.queues td { padding: .3em .8em; border-bottom: 1px solid #ddd; text-align: left; }
        .empty { font-size: 1.1em; }
        pre.diff del { background: #fde2e2; color: #7a1010; }
        pre.diff ins { background: #dcf5dc; color: #0f5a0f; text-decoration: none; }
        .legend { font-size: .85em; color: #555; margin: 0; }
        .legend del { background: #fde2e2; } .legend ins { background: #dcf5dc; text-decoration: none; }
        .prediction { display: flex; gap: .6em; align-items: center; margin: .4em 0; }
        .prediction form { display: inline; }
        form.selection { display: flex; flex-wrap: wrap; gap: .4em 1em; align-items: center; margin: .6em 0; }
        table.browse { border-collapse: collapse; width: 100%; font-size: .92em; }
        table.browse th, table.browse td { padding: .25em .5em; border-bottom: 1px solid #ddd; text-align: left; vertical-align: top; }
        table.browse td.excerpt { max-width: 40em; overflow-wrap: anywhere; unicode-bidi: isolate; }
        .pager { margin: .6em 0; }
        form.bulk fieldset { display: flex; flex-wrap: wrap; gap: .5em; align-items: center; border: 1px solid #ccc; }
        header nav.pages { flex: 0; white-space: nowrap; }
        svg.chart { display: block; max-width: 100%; height: auto; background: #fff; border: 1px solid #ddd; margin: .4em 0 .8em; }
        table.figures { border-collapse: collapse; margin: 0 0 1.2em; }
        table.figures th, table.figures td { padding: .2em .7em; border-bottom: 1px solid #ddd; text-align: left; }
        strong.gap { color: #c62828; }
        form.choose { margin: .5em 0; }
        .dashboard section { margin-bottom: 1.5em; }

        """
}
