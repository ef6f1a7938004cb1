/*
 * A stand-in for the Freshworks serverless runtime (dev kit only, not Freshworks' code): runs one function of an
 * app's server/server.js under Node, the way an SMI call runs it, and prints what it passed to renderData.
 *
 * stdin: {"app_dir", "function", "payload", "api_base", "now_ms"?}. With now_ms, Date.now() in the function is
 * that instant (the tests' fixed clock). The payload is what the front end sent to
 * client.request.invoke, with "iparams" added. The globals the FDK documents are provided:
 *   - $request.invokeTemplate(name, {context, body}) renders config/requests.json's template (<%= iparam.x %>,
 *     <%= context.x %>) and sends it. Its scheme and host are replaced by api_base (the dev kit's Freshsales), and
 *     the host the template named travels in the X-Template-Host header so the stand-in can check it. Resolves
 *     {status, headers, response: body text}; rejects with the same shape when the status is not 2xx.
 *   - renderData(error, data), console, Buffer, require (Node's built-ins only: the app declares no dependencies).
 * stdout: {"error": ..., "data": ..., "requests": [{"template", "url", "host"}]}.
 */
"use strict";

const fs = require("fs");
const path = require("path");
const vm = require("vm");
const { builtinModules } = require("module");

function render(text, iparams, context) {
  return String(text).replace(/<%=\s*(iparam|context)\.([A-Za-z0-9_]+)\s*%>/g, function (_, scope, name) {
    const source = scope === "iparam" ? iparams : context;
    const value = source[name];
    if (value === undefined || value === null) {
      throw new Error("template variable " + scope + "." + name + " has no value");
    }
    return String(value);
  });
}

async function main() {
  const input = JSON.parse(fs.readFileSync(0, "utf8"));
  const appDir = input.app_dir;
  const templates = JSON.parse(fs.readFileSync(path.join(appDir, "config", "requests.json"), "utf8"));
  const declared = JSON.parse(fs.readFileSync(path.join(appDir, "manifest.json"), "utf8")).modules.common;
  const iparams = (input.payload && input.payload.iparams) || {};
  const sent = [];
  let settled = false;
  let finish;
  const done = new Promise(function (resolve) { finish = resolve; });

  const $request = {
    invokeTemplate: async function (name, options) {
      if (!templates[name] || !(declared.requests || {})[name]) {
        throw { status: 400, message: "request template " + name + " is not declared" };
      }
      const schema = templates[name].schema;
      const context = (options && options.context) || {};
      const host = render(schema.host, iparams, context);
      let url = input.api_base.replace(/\/+$/, "") + render(schema.path, iparams, context);
      const query = Object.entries(schema.query || {}).map(function (pair) {
        return encodeURIComponent(pair[0]) + "=" + encodeURIComponent(render(pair[1], iparams, context));
      });
      if (query.length) {
        url += "?" + query.join("&");
      }
      const headers = { "X-Template-Host": host };
      Object.entries(schema.headers || {}).forEach(function (pair) {
        headers[pair[0]] = render(pair[1], iparams, context);
      });
      sent.push({ template: name, url: url, host: host });
      const response = await fetch(url, { method: schema.method, headers: headers, body: options && options.body });
      const answer = { status: response.status, headers: Object.fromEntries(response.headers), response: await response.text() };
      if (response.status < 200 || response.status > 299) {
        throw answer;
      }
      return answer;
    }
  };
  const sandbox = {
    exports: {},
    $request: $request,
    renderData: function (error, data) {
      if (!settled) {
        settled = true;
        finish({ error: error || null, data: data === undefined ? null : data });
      }
    },
    console: console,
    Buffer: Buffer,
    require: function (name) {
      if (builtinModules.indexOf(name.replace(/^node:/, "")) === -1) {
        throw new Error("module " + name + " is not available (the app declares no dependencies)");
      }
      return require(name);
    }
  };
  vm.createContext(sandbox);
  if (typeof input.now_ms === "number") {
    vm.runInContext("Date.now = function () { return " + Math.floor(input.now_ms) + "; };", sandbox);
  }
  const source = fs.readFileSync(path.join(appDir, "server", "server.js"), "utf8");
  vm.runInContext(source, sandbox, { filename: "server.js" });
  const fn = sandbox.exports[input.function];
  if (typeof fn !== "function" || !(declared.functions || {})[input.function]) {
    throw new Error("function " + input.function + " is not exported and declared");
  }
  fn(input.payload);
  const timer = setTimeout(function () {
    sandbox.renderData({ status: 504, message: "app execution timeout" });
  }, 20000);
  const result = await done;
  clearTimeout(timer);
  result.requests = sent;
  process.stdout.write(JSON.stringify(result));
}

main().catch(function (error) {
  process.stdout.write(JSON.stringify({ error: { status: 500, message: String(error && error.message || error) },
    data: null, requests: [] }));
  process.exitCode = 1;
});
