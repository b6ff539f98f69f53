/* podeval HTML report: opens the explain of a field. Reads the inline JSON; no network, no library. */
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("podeval-data").textContent);
  var body = document.getElementById("explain-body");
  var panel = document.getElementById("explain");
  var selected = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) {
      node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }
  function show(value) { return value === undefined ? "(none)" : JSON.stringify(value); }
  function badge(source) {
    return el("span", { "class": "badge", "data-source": String(source) }, [String(source)]);
  }
  function code(text) { return el("code", {}, [text]); }

  // Winner first, then the values that lost, then the dropped ones; each with its source, rule and reason.
  function candidatesList(candidates) {
    var rank = { won: 0, lost: 1, dropped: 2 };
    function r(c) { return rank[c.outcome] === undefined ? 3 : rank[c.outcome]; }
    return el("ol", { "class": "candidates" }, candidates.slice().sort(function (a, b) { return r(a) - r(b); })
      .map(function (c) {
        var mark = c.outcome === "won" ? "\u2713 won" : c.outcome === "lost" ? "\u2717 lost" : "\u2013 " + c.outcome;
        var detail = c.why ? [c.why] : [];
        if (c.rule && (!c.why || c.why.indexOf(c.rule) < 0)) {  // name the rule unless the reason already does
          detail.push(c.why ? " (rule " : "rule ", code(String(c.rule)), c.why ? ")" : "");
        }
        var value = [el("code", { "class": "value" }, [show(c.value)])];
        if (c.rendered !== undefined) {  // as written, and as the Pod prints it
          value.push(" \u2192 ", el("code", { "class": "rendered" }, [show(c.rendered)]));
        }
        var item = [el("span", { "class": "outcome" }, [mark]), " ", badge(c.source), " "].concat(value);
        item.push(el("div", { "class": "why" }, detail));
        if (c.where) { item.push(el("div", { "class": "where" }, ["from ", code(String(c.where))])); }
        return el("li", { "data-outcome": c.outcome, "data-source": String(c.source) }, item);
      }));
  }

  function historyList(history) {
    return el("ol", { "class": "history" }, history.map(function (e) {
      var parts = ["#" + e.seq + " ", el("strong", {}, [e.op]), " by ", badge(e.source), ": ", code(show(e.value))];
      if (e.previous !== undefined) {
        parts.push(" (was ", code(show(e.previous)));
        if (e.previousSource) { parts.push(" from ", badge(e.previousSource)); }
        parts.push(")");
      }
      if (e.rejected) { parts.push("; rejected ", badge(e.rejected.source), " ", code(show(e.rejected.value))); }
      if (e.rule) { parts.push(" \u2014 rule ", code(String(e.rule))); }
      if (e.note) { parts.push(" \u2014 " + e.note); }
      if (e.where) { parts.push(" \u2014 from ", code(String(e.where))); }
      return el("li", { "data-op": e.op }, parts);
    }));
  }

  function render(paneId, path) {
    var pane = DATA.panes[paneId] || { explain: {} };
    var x = pane.explain[path];
    var won = x && x.candidates ? x.candidates.filter(function (c) { return c.outcome === "won"; })[0] : null;
    body.textContent = "";
    panel.classList.add("has-selection");
    if (!x) { body.appendChild(el("p", {}, ["No explanation recorded for " + path + "."])); return; }
    var children = [
      el("p", { "class": "explain-path" }, [path]),
      el("dl", { "class": "facts" }, [
        el("dt", {}, ["Pod"]), el("dd", {}, [pane.title || paneId]),
        el("dt", {}, ["Value"]), el("dd", {}, [code(show(x.value))]),
        el("dt", {}, ["Owner"]), el("dd", { "class": "owner" }, [x.owner ? badge(x.owner) : "(none)"]),
        el("dt", {}, ["Rule"]), el("dd", {}, [x.rule ? code(String(x.rule)) : "(none)"]),
        el("dt", {}, ["From"]), el("dd", { "class": "from" }, [won && won.where ? code(String(won.where)) : "(unknown)"])
      ]),
      el("h3", {}, ["Candidates"]),
      (x.candidates && x.candidates.length) ? candidatesList(x.candidates)
        : el("p", { "class": "empty" }, ["No candidate recorded."]),
      el("h3", {}, ["History"]),
      (x.history && x.history.length) ? historyList(x.history) : el("p", { "class": "empty" }, ["No event."])
    ];
    if (selected) {
      var back = el("button", { type: "button", "class": "back" }, ["Back to the field"]);
      back.addEventListener("click", function () { if (selected) { selected.focus(); } });
      children.push(back);
    }
    children.forEach(function (c) { body.appendChild(c); });
  }

  function unselect() {
    if (selected) {
      selected.closest(".line").classList.remove("selected");
      selected.removeAttribute("aria-current");
    }
    selected = null;
  }

  function select(button, fromHash) {
    unselect();
    selected = button;
    button.closest(".line").classList.add("selected");
    button.setAttribute("aria-current", "true");
    render(button.getAttribute("data-pane"), button.getAttribute("data-path"));
    var box = panel.getBoundingClientRect();
    if (box.top > window.innerHeight || box.bottom < 0) { panel.scrollIntoView({ block: "nearest" }); }
    if (!fromHash && window.history && window.history.replaceState) {
      window.history.replaceState(null, "", "#field=" + encodeURIComponent(button.getAttribute("data-pane") + ":" + button.getAttribute("data-line")));
    }
  }

  function findField(paneId, path, attr) {
    var fields = document.querySelectorAll("button.field");
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].getAttribute("data-pane") === paneId && fields[i].getAttribute(attr || "data-path") === path) {
        return fields[i];
      }
    }
    return null;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("button.field, button.jump");
    if (!target) { return; }
    if (target.classList.contains("jump")) {
      var field = findField(target.getAttribute("data-pane"), target.getAttribute("data-path"));
      if (field) { field.focus(); select(field); } else {  // an input that is not in the Pod
        unselect();
        render(target.getAttribute("data-pane"), target.getAttribute("data-path"));
      }
      return;
    }
    select(target);
  });

  // Arrow keys walk the fields of one Pod; Tab still moves through them one by one.
  document.addEventListener("keydown", function (event) {
    var current = event.target;
    if (!current.classList || !current.classList.contains("field")) { return; }
    var keys = { ArrowDown: 1, ArrowUp: -1, Home: "first", End: "last" };
    if (!(event.key in keys)) { return; }
    var fields = Array.prototype.filter.call(document.querySelectorAll("button.field"), function (f) {
      return f.getAttribute("data-pane") === current.getAttribute("data-pane");
    });
    var i = fields.indexOf(current);
    var step = keys[event.key];
    var next = step === "first" ? fields[0] : step === "last" ? fields[fields.length - 1] : fields[i + step];
    if (next) { event.preventDefault(); next.focus(); }
  });

  var match = /^#field=(.*)$/.exec(window.location.hash);
  if (match) {
    var ref = decodeURIComponent(match[1]);
    var cut = ref.indexOf(":");
    var field = findField(ref.slice(0, cut), ref.slice(cut + 1), "data-line");
    if (field) { select(field, true); }
  }
})();
