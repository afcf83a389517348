/* The bukamal-kg query page: YASGUI on /sparql, plus the saved queries (run through /queries/NAME,
   where the server validates and binds their parameters). No network access beyond this server. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("bukamal-config").textContent);
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var prefixLines = Object.keys(config.prefixes).map(function (p) {
    return "PREFIX " + p + ": <" + config.prefixes[p] + ">";
  }).join("\n");
  var defaultQuery = prefixLines + "\n\nSELECT ?s ?p ?o WHERE {\n  ?s ?p ?o\n} LIMIT 25\n";

  Yasgui.Yasqe.defaults.value = defaultQuery;
  var yasgui = new Yasgui(document.getElementById("yasgui"), {
    requestConfig: { endpoint: endpoint, method: "POST" },
    copyEndpointOnNewTab: true,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
    persistenceId: null,
    populateFromUrl: false,
    yasqe: { value: defaultQuery, autocompleters: ["variables", "prefixes"], prefixCcApi: null,
             persistenceId: null },
    yasr: { persistenceId: null, prefixes: config.prefixes }
  });
  window.bukamalYasgui = yasgui;

  var status = document.getElementById("saved-status");
  var list = document.getElementById("saved-list");
  var tabs = {};

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function exampleValues(example) {
    var values = {};
    var re = /--param\s+([A-Za-z_]\w*)=(?:"([^"]*)"|'([^']*)'|(\S+))/g;
    var m;
    while ((m = re.exec(example || "")) !== null) {
      values[m[1]] = m[2] !== undefined ? m[2] : (m[3] !== undefined ? m[3] : m[4]);
    }
    return values;
  }

  function tabFor(query) {
    var id = tabs[query.name];
    if (id && yasgui.getTab(id)) {
      var existing = yasgui.selectTabId(id);
      existing.setQuery(query.text);
      return existing;
    }
    var tab = yasgui.addTab(true, { name: query.name, yasqe: { value: query.text } });
    tabs[query.name] = tab.getId();
    return tab;
  }

  function isGraph(query) { return query.form === "CONSTRUCT" || query.form === "DESCRIBE"; }

  function run(query, form) {
    var params = new URLSearchParams();
    form.querySelectorAll("[data-param]").forEach(function (input) {
      if (input.value !== "") { params.append(input.getAttribute("data-param"), input.value); }
    });
    var accept = isGraph(query) ? "text/turtle" : "application/sparql-results+json";
    var started = Date.now();
    status.textContent = "Running " + query.name + "\u2026";
    var qs = params.toString();
    return fetch("/queries/" + encodeURIComponent(query.name) + (qs ? "?" + qs : ""),
                 { headers: { Accept: accept } })
      .then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) {
            var message = text;
            try { message = JSON.parse(text).message; } catch (e) { /* not JSON */ }
            throw new Error(message);
          }
          var tab = tabFor(query);
          tab.getYasr().setResponse({ data: text, status: response.status,
                                      contentType: response.headers.get("Content-Type"),
                                      executionTime: Date.now() - started });
          status.textContent = "";
          list.setAttribute("data-last-run", query.name);
        });
      })
      .catch(function (err) { status.textContent = query.name + ": " + err.message; });
  }

  function render(queries) {
    queries.forEach(function (query) {
      var item = el("li", { "data-query": query.name });
      item.appendChild(el("div", { "class": "title" }, query.title));
      item.appendChild(el("div", { "class": "description" }, query.description));
      var form = el("form", {});
      var examples = exampleValues(query.example);
      query.params.forEach(function (p) {
        var label = el("label", {}, p.name + (p.required ? " (required)" : "") + ": ");
        var input;
        if (p.type === "enum") {
          input = el("select", { "data-param": p.name });
          if (!p.required) { input.appendChild(el("option", { value: "" }, "")); }
          p.values.forEach(function (v) { input.appendChild(el("option", { value: v }, v)); });
        } else {
          input = el("input", { "data-param": p.name, placeholder: p.description, title: p.description });
        }
        input.value = examples[p.name] !== undefined ? examples[p.name] : (p["default"] || "");
        label.appendChild(input);
        form.appendChild(label);
      });
      var runButton = el("button", { type: "submit", "class": "run" }, "Run");
      var openButton = el("button", { type: "button", "class": "open" }, "Open in editor");
      form.appendChild(runButton);
      form.appendChild(openButton);
      form.addEventListener("submit", function (event) { event.preventDefault(); run(query, form); });
      openButton.addEventListener("click", function () { tabFor(query); });
      item.appendChild(form);
      list.appendChild(item);
    });
    list.setAttribute("data-loaded", String(queries.length));
  }

  fetch(config.queries, { headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) { throw new Error("the saved queries could not be loaded (" + response.status + ")"); }
      return response.json();
    })
    .then(render)
    .catch(function (err) { status.textContent = err.message; });
})();
