// Runs the Zabbix media type's script as Zabbix does — its text as the body of a function of
// `value` — with Zabbix's HttpRequest and Zabbix.log stubbed. HttpRequest.post is a real HTTP
// call: a child Node process does the fetch and this one waits for it, as Zabbix's call blocks.
// Usage: node harness.js SCRIPT PARAMS_JSON; prints what the script returned, or "ERROR: …"
// with exit code 2 when it threw.
'use strict';
const fs = require('fs');
const { execFileSync } = require('child_process');

const script = fs.readFileSync(process.argv[2], 'utf8');
const params = process.argv[3];

function HttpRequest() {
  this.headers = {};
  this.status = 0;
}
HttpRequest.prototype.addHeader = function (line) {
  const at = line.indexOf(':');
  this.headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
};
HttpRequest.prototype.setProxy = function () {};
HttpRequest.prototype.post = function (url, data) {
  const child = `fetch(${JSON.stringify(url)}, { method: 'POST', headers: ${JSON.stringify(this.headers)}, body: ${JSON.stringify(data)} })
    .then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })))
    .catch((e) => process.stdout.write(JSON.stringify({ status: 0, body: String(e) })));`;
  const out = JSON.parse(execFileSync(process.execPath, ['-e', child]).toString());
  this.status = out.status;
  return out.body;
};
HttpRequest.prototype.getStatus = function () {
  return this.status;
};
const Zabbix = { log: (level, message) => process.stderr.write(`[${level}] ${message}\n`) };

try {
  const result = new Function('value', 'HttpRequest', 'Zabbix', script)(params, HttpRequest, Zabbix);
  process.stdout.write(String(result));
} catch (error) {
  process.stdout.write('ERROR: ' + error);
  process.exit(2);
}
