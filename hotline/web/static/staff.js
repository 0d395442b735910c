// What the staff pages' scripts share: JSON posts with the session's CSRF token, and
// tables and lights drawn from data with textContent (a caller's words stay text).
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
  // JsSIP's failure causes, for people who read Chinese
  const SIP_CAUSES = {
    "Connection Error": "无法连接电话系统", "Request Timeout": "电话系统无响应",
    "Authentication Error": "座席密码错误", "Rejected": "被拒绝", "Busy": "忙",
    "Unavailable": "不可用", "Not Found": "号码不存在", "SIP Failure Code": "电话系统拒绝",
    "Internal Error": "内部错误", "Bad Media Description": "媒体协商失败",
    "Address Incomplete": "号码不完整", "Canceled": "已取消", "No Answer": "无人接听",
  };
  window.staffSipCause = function (cause) { return SIP_CAUSES[cause] || cause || "未知原因"; };
  // Fill TABLE's body: one row per item; a cell is text, a Node, or a list of Nodes.
  window.staffTable = function (table, items, cells, empty) {
    const body = document.getElementById(table).querySelector("tbody");
    body.replaceChildren();
    for (const item of items) {
      const tr = document.createElement("tr");
      for (const cell of cells(item)) {
        const td = document.createElement("td");
        if (Array.isArray(cell)) cell.forEach((n) => td.appendChild(n));
        else if (cell instanceof Node) td.appendChild(cell);
        else td.textContent = cell;
        tr.appendChild(td);
      }
      body.appendChild(tr);
    }
    if (!items.length) {
      const tr = document.createElement("tr");
      const td = document.createElement("td");
      td.colSpan = 8; td.className = "muted"; td.textContent = empty;
      tr.appendChild(td); body.appendChild(tr);
    }
  };
  // An order's light (R8): red overdue, yellow due soon, green on time.
  window.staffLight = function (color) {
    const s = document.createElement("span");
    s.className = "light " + (color || "");
    s.title = { red: "逾期", yellow: "将到期", green: "正常" }[color] || "";
    return s;
  };
})();
