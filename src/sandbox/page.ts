/**
 * The phone web page: a self-contained HTML page (no external resources,
 * strict CSP with hashes of its one inline script and style) that plays the
 * virtual phone in a browser tab. Opened on a registration link it offers to
 * register; then it lists the device's pending requests with Approve / Deny
 * and its live sessions with a walk-away switch. The device ID is kept in the
 * tab's sessionStorage, so each tab is one phone. Opened on
 * `/sandbox/phone/user/<application>/<user>` it becomes the phone the user
 * registered (the console's "Open virtual phone").
 */
import { createHash } from 'node:crypto';

const STYLE = `
body{font:16px system-ui,sans-serif;margin:0;background:#f4f5f7;color:#111}
main{max-width:420px;margin:0 auto;padding:16px}
h1{font-size:20px}h2{font-size:16px;margin-top:24px}
.card{background:#fff;border-radius:8px;padding:12px;margin:8px 0;box-shadow:0 1px 2px #0002}
button{font:inherit;padding:8px 14px;margin:4px 8px 0 0;border-radius:6px;border:1px solid #888;background:#fff;cursor:pointer}
button.primary{background:#0b5cad;color:#fff;border-color:#0b5cad}
#status{min-height:1.5em;color:#333}
input[type=text]{width:100%;box-sizing:border-box;padding:8px;font:inherit}
`;

const SCRIPT = `
(function(){
  'use strict';
  var $ = function(id){ return document.getElementById(id); };
  var say = function(text){ $('status').textContent = text; };
  var call = function(method, path, body){
    var init = { method: method, headers: {} };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(path, init).then(function(r){ return r.json().then(function(j){ return { ok: r.ok, body: j }; }); });
  };
  var device = sessionStorage.getItem('sandboxDevice');
  var linkMatch = /\\/sandbox\\/phone\\/register\\/([A-Za-z0-9_-]{43})$/.exec(location.pathname);
  var userMatch = /\\/sandbox\\/phone\\/user\\/([^/]+)\\/([^/]+)$/.exec(location.pathname);
  function button(label, cls, onClick){ var b = document.createElement('button'); b.textContent = label; if (cls) b.className = cls; b.addEventListener('click', onClick); return b; }
  function act(path){ call('POST', path, {}).then(function(r){ say(r.ok ? 'Done.' : (r.body.reason || 'Refused.')); refresh(); }, function(){ say('The sandbox did not answer.'); }); }
  function register(link){
    call('POST', '/sandbox/register', { link: link }).then(function(r){
      if (!r.ok) { say(r.body.reason || 'Registration failed.'); return; }
      device = r.body.deviceId; sessionStorage.setItem('sandboxDevice', device);
      history.replaceState(null, '', '/sandbox/phone');
      say('This tab is now the phone of ' + (r.body.displayName || r.body.userId) + '.');
      show(); refresh();
    }, function(){ say('The sandbox did not answer.'); });
  }
  function show(){ $('setup').hidden = !!device; $('phone').hidden = !device; }
  function render(list, into, withActions){
    into.replaceChildren();
    if (list.length === 0) { var p = document.createElement('p'); p.textContent = 'None.'; into.appendChild(p); return; }
    list.forEach(function(s){
      var card = document.createElement('div'); card.className = 'card';
      var t = document.createElement('div'); t.textContent = 'Application ' + s.applicationId.slice(0, 8) + '… asks to sign in ' + ($('who').textContent || s.userId) + ' (' + s.sessionStatus + ')';
      card.appendChild(t);
      var base = '/sandbox/' + (withActions ? 'requests/' : 'sessions/') + encodeURIComponent(s.id) + '/';
      if (withActions) {
        card.appendChild(button('Approve', 'primary', function(){ act(base + 'approve'); }));
        card.appendChild(button('Deny', '', function(){ act(base + 'deny'); }));
      } else {
        var label = document.createElement('label');
        var box = document.createElement('input'); box.type = 'checkbox'; box.checked = s.sessionStatus === 'walkaway';
        box.addEventListener('change', function(){ act(base + (box.checked ? 'walk_away' : 'come_back')); });
        label.appendChild(box); label.appendChild(document.createTextNode(' Walked away'));
        card.appendChild(label);
      }
      into.appendChild(card);
    });
  }
  function refresh(){
    if (!device) return;
    fetch('/sandbox/devices/' + encodeURIComponent(device)).then(function(r){
      if (r.status === 404) { sessionStorage.removeItem('sandboxDevice'); device = null; show(); say('This phone was disabled (lost device).'); return null; }
      return r.json();
    }).then(function(j){
      if (!j) return;
      $('who').textContent = j.displayName || j.userId;
      render(j.requests, $('requests'), true);
      render(j.sessions, $('sessions'), false);
    }, function(){ say('The sandbox did not answer.'); });
  }
  function becomeUsersPhone(app, user){
    fetch('/sandbox/users/' + app + '/' + user + '/device').then(function(r){
      history.replaceState(null, '', '/sandbox/phone');
      if (!r.ok) { say('This user has no registered phone yet (or the sandbox does not know the user): register one with its registration link.'); return null; }
      return r.json();
    }).then(function(j){
      if (!j || typeof j.deviceId !== 'string') return;
      device = j.deviceId; sessionStorage.setItem('sandboxDevice', device);
      show(); refresh();
    }, function(){ say('The sandbox did not answer.'); });
  }
  $('register').addEventListener('click', function(){ register(linkMatch ? linkMatch[1] : $('link').value.trim()); });
  if (linkMatch && !device) { $('link').value = location.href; say('Press Register to make this tab the phone for this link.'); }
  if (userMatch) becomeUsersPhone(userMatch[1], userMatch[2]);
  show(); refresh();
  setInterval(refresh, 1000);
})();
`;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

export const PHONE_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>IAMPASS sandbox phone</title><style>${STYLE}</style></head>
<body><main>
<h1>Sandbox phone</h1>
<p id="status" role="status" aria-live="polite"></p>
<section id="setup"><h2>Register</h2>
<label for="link">Registration link</label><input id="link" type="text" autocomplete="off">
<button id="register" class="primary">Register this phone</button></section>
<section id="phone" hidden><p>Phone of <strong id="who"></strong></p>
<h2>Pending requests</h2><div id="requests"></div>
<h2>Signed-in sessions</h2><div id="sessions"></div></section>
</main><script>${SCRIPT}</script></body></html>`;

export function phonePage(): string {
  return PAGE;
}
