// The supervisor's wall board: polls /console/board.json, sends reminders, and listens /
// whispers / barges through the supervisor's own seat (its phone answers those calls).
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("config").textContent);
  const $ = (id) => document.getElementById(id);
  const seen = (window.hotline = { boards: 0, last: null, spyCalls: 0, registered: false });
  let spyPending = 0;

  const post = (url, data) => window.staffPost(url, data, cfg.csrf);
  function say(text, bad) { $("msg").textContent = text; $("msg").className = bad ? "error" : ""; }
  function tile(id, value, alert) {
    $(id).querySelector("b").textContent = value;
    $(id).className = "tile" + (alert ? " alert" : "");
  }
  function button(text, onclick) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.onclick = onclick;
    return b;
  }
  function render(b) {
    seen.boards += 1; seen.last = b;
    $("updated").textContent = (b.pbx ? "实时" : "电话系统未连接") + " · 更新于 " + b.at;
    const t = b.today;
    tile("t-waiting", b.waiting.length, b.waiting.length > 0);
    tile("t-longest", b.longest_wait_s, b.longest_wait_s >= cfg.target_s);
    tile("t-answered", t.answered);
    tile("t-within", t.service_level === null ? "—" : t.service_level + "%", t.service_level !== null && t.service_level < 90);
    tile("t-abandoned", t.abandoned, t.abandoned > 0);
    tile("t-overflowed", t.overflowed, t.overflowed > 0);
    const line = b.line;
    $("line-state").textContent = "线路" + line.label + "（" + line.how + "）";
    $("line-state").className = "line-state " + (line.open ? "open" : "closed");
    const k = b.backlog;
    tile("t-messages", k.messages + (k.messages_untranscribed ? "+" + k.messages_untranscribed : ""),
         k.messages + k.messages_untranscribed > 0);
    tile("t-callbacks", k.callbacks, k.callbacks_late > 0);
    $("callbacks-late").textContent = k.callbacks_late;
    tile("t-flagged", k.flagged, k.flagged_urgent > 0);
    $("flagged-urgent").textContent = k.flagged_urgent;
    const m = b.missed;
    $("missed-text").textContent = "今日放弃：排队 " + m.short_s + " 秒内挂断 " + m.abandoned_short +
      "，等待更久后挂断 " + m.abandoned_long + "，菜单中挂断 " + m.hung_up_in_menu +
      "。溢出后：扩大组接听 " + m.overflow_answered + "，登记回电 " + m.overflow_callback +
      "，留言 " + m.overflow_message + "，挂断 " + m.overflow_gone + "。";
    staffTable("seats", b.seats, (s) => {
      const st = document.createElement("span");
      st.className = "seat-" + s.state;
      st.textContent = s.state_label + (s.reason ? "（" + s.reason + "）" : "");
      const spy = s.state === "on_call" && cfg.sip && s.seat !== cfg.sip.user
        ? Object.entries(cfg.spy).map(([mode, label]) => button(label, () => spyOn(s.seat, mode)))
        : "";
      return [s.name + "（" + s.seat + "）", s.user, st, String(s.answered_today), spy];
    }, "没有座席");
    staffTable("waiting", b.waiting, (w) => [w.caller, w.type, w.wait_s + " 秒", w.overflowed ? "已溢出" : ""],
               "无人排队");
    staffTable("overdue", b.overdue, (o) => [staffLight(o.light), o.number, o.type, o.assignee, o.due, o.content],
         "没有逾期或将到期的工单");
    staffTable("reminders", b.reminders, (r) => [r.order, "第 " + r.round + " 次", r.to + " " + r.mobile, r.due,
      [button("短信催办", () => remind(r, false)), button("已电话催办", () => remind(r, true))]],
         "今日没有待催办");
  }
  async function refresh() {
    try {
      const r = await fetch("/console/board.json", { credentials: "same-origin" });
      if (r.status === 403 || r.redirected) { say("登录已失效，请刷新页面", true); return; }
      render(await r.json());
    } catch (e) { $("updated").textContent = "无法连接服务器，重试中…"; }
  }
  async function remind(r, phoned) {
    try {
      const out = await post("/console/reminders/" + r.id, { phoned: phoned });
      say(phoned ? "已记录电话催办：" + r.order : "已发送催办短信 " + out.texts + " 条：" + r.order);
      refresh();
    } catch (e) { say(e.message, true); }
  }
  async function spyOn(seat, mode) {
    try {
      spyPending = Date.now();
      await post("/console/spy", { seat: seat, mode: mode });
      say(cfg.spy[mode] + " " + seat + "：您的话机将自动接通");
    } catch (e) { spyPending = 0; say(e.message, true); }
  }
  function startPhone() {
    if (!cfg.sip) { $("phone-state").textContent = "未绑定座席：不能监听"; return; }
    if (!cfg.sip.webrtc || !window.JsSIP) { $("phone-state").textContent = "监听通过座席 SIP 话机"; return; }
    const ua = new JsSIP.UA({ sockets: [new JsSIP.WebSocketInterface(cfg.sip.ws)], uri: cfg.sip.uri,
                              password: cfg.sip.password, register: true, session_timers: false,
                              register_expires: 120, user_agent: "hotline12368-console" });
    ua.on("registered", () => { seen.registered = true; $("phone-state").textContent = "话机已注册"; });
    ua.on("registrationFailed", (e) => { $("phone-state").textContent = "话机注册失败（" + window.staffSipCause(e.cause) + "）"; });
    ua.on("newRTCSession", (e) => {
      if (e.originator !== "remote") return;
      const s = e.session;
      const name = s.remote_identity.display_name || "";
      // the listen-in this page asked for is answered by itself; any other call (the
      // overflow group rings the supervisors, R1) rings here until answered or gone
      if (!name.startsWith("spy-") || Date.now() - spyPending > 30000) { ringing(s, name); return; }
      spyPending = 0;
      seen.spyCalls += 1;
      s.on("peerconnection", (ev) => ev.peerconnection.addEventListener("track", (t) => {
        $("spy-audio").srcObject = t.streams[0];
      }));
      s.on("ended", () => say("监听结束"));
      s.on("failed", () => say("监听结束"));
      s.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
    });
    ua.start();
  }
  // An overflow call on the supervisor's own phone: who calls, the type chosen in the
  // menu and the order ("type-number" in the caller name), answer or hang up.
  function ringing(s, name) {
    const m = /^([1-6])-(.+)$/.exec(name);
    const types = ["", "案件查询", "诉讼咨询", "联系法官", "信访申诉", "投诉举报", "其他"];
    seen.incoming = (seen.incoming || 0) + 1; seen.inState = "ringing";
    $("in-caller").textContent = s.remote_identity.uri.user || "未知号码";
    $("in-type").textContent = m ? types[Number(m[1])] : "";
    $("in-number").textContent = m ? "工单 " + m[2] : "";
    $("in-state").textContent = "振铃中";
    $("incoming").hidden = false;
    $("btn-in-answer").disabled = false;
    const done = (text) => () => {
      seen.inState = "ended"; $("in-state").textContent = text;
      setTimeout(() => { if (seen.inState === "ended") $("incoming").hidden = true; }, 3000);
    };
    s.on("ended", done("通话结束"));
    s.on("failed", done("来电已转走或挂断"));
    s.on("peerconnection", (ev) => ev.peerconnection.addEventListener("track", (t) => {
      $("in-audio").srcObject = t.streams[0];
    }));
    s.on("confirmed", () => { seen.inState = "talking"; $("in-state").textContent = "通话中"; });
    $("btn-in-answer").onclick = () => {
      $("btn-in-answer").disabled = true;
      s.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
    };
    // hanging up before answering is "busy": app_queue tries the others and does not
    // pause the supervisor (autopausebusy = no)
    $("btn-in-hangup").onclick = () => s.terminate(s.isEstablished() ? {} : { status_code: 486 });
  }
  refresh();
  setInterval(refresh, 2000);
  startPhone();
})();
