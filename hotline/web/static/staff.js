// What the staff pages' scripts share: JSON posts with the session's CSRF token.
(function () {
  "use strict";
  window.staffPost = async function (url, data, csrf) {
    const r = await fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(data || {}),
    });
    let body = {};
    try { body = await r.json(); } catch (e) { body = { error: "服务器无响应（" + r.status + "）" }; }
    if (!r.ok) throw new Error(body.error || r.statusText);
    return body;
  };
})();
