// The seat operator's panel: softphone (JsSIP), seat state, screen pop, order form.
// Everything shown from the server is set with textContent: a caller's words are text.
(function () {
  "use strict";
  const cfg = JSON.parse(document.getElementById("config").textContent);
  const $ = (id) => document.getElementById(id);
  // What the page saw, for the tests and the benchmark to read.
  const seen = (window.hotline = { pops: [], events: [], registered: false, state: "" });
  let current = null; // the call on screen: {uid, pop, order, answered, ended}
  let rtc = null; // the JsSIP session ringing or talking
  let consult = null; // the call to the judge while the caller is on hold (R4.2, R4.8)
  let clockTimer = null;
  let ua = null;

  function say(text, bad) {
    const el = $("phone-msg");
    el.textContent = text || "";
    el.className = bad ? "error" : "muted";
  }

  const post = (url, data) => window.staffPost(url, data, cfg.csrf);

  // ---- seat state: what the PBX says of the seat, in the console's words -------------
  // (hotline/seat_state.py reads it for the console, this page and `hotline seats list`)
  function showState(state, label) {
    seen.state = state;
    const el = $("state");
    el.textContent = label || cfg.states[state] || state;
    el.className = "state " + state;
  }
  function showSeat(s) { if (s) showState(s.state, s.label); }
  async function changeState(state, reason) {
    try {
      const r = await post("/panel/state", { state: state, reason: reason || "" });
      showSeat(r.seat_state);
      say("");
    } catch (e) { say(e.message, true); }
  }
  $("btn-ready").onclick = () => changeState("ready");
  $("btn-wrapup").onclick = () => changeState("wrapup");
  $("btn-offline").onclick = () => changeState("offline");
  $("btn-pause").onclick = () => changeState("pause", $("pause-reason").value);

  // ---- the screen pop ----------------------------------------------------------------
  function tick() {
    if (!current) return;
    const now = Date.now() / 1000;
    const waited = Math.max(0, Math.floor((current.answeredAt || now) - current.queuedAt));
    $("clock-s").textContent = String(waited);
    $("pop-waited").textContent = String(waited);
    const clock = $("clock");
    clock.className = "clock" + (waited >= cfg.target_s ? " late" :
                                  waited >= cfg.target_s - 3 ? " warn" : "");
  }
  function showGuide(g) {
    const el = $("guide");
    if (!g || !g.rule) { el.textContent = ""; return; }
    let text = "【" + g.rules.join("、") + "】" + g.why;
    if (g.forward) text += "。建议转办：" + (g.target || g.role_label || "");
    else text += "。建议当场办结。";
    if (g.report_to && g.report_to.length) text += " 同时报告：" + g.report_to.join("、");
    el.textContent = text;
  }
  function fillForm(o) {
    $("f-type").value = String(o.order_type || 6);
    $("f-name").value = o.caller_name || "";
    $("f-case").value = o.case_number || "";
    $("f-callback").value = o.callback_phone || "";
    $("f-content").value = o.content || "";
    $("f-rights").checked = !!o.touches_rights;
    $("a-abusive").checked = !!o.abusive;
    $("a-urgent").checked = !!o.urgent;
  }
  function showPop(d) {
    current = { uid: d.uid, pop: d, order: d.order || null, queuedAt: d.queued_at,
                answeredAt: null, ended: false };
    $("pop").className = "card pop";
    $("pop-empty").hidden = true;
    $("pop-body").hidden = false;
    $("pop-caller").textContent = d.caller || "（未显示号码）";
    $("pop-type").textContent = d.type_label || "";
    $("pop-number").textContent = d.order ? d.order.number : "—";
    $("pop-status").textContent = d.order ? d.order.status_label : (d.error || "");
    $("pop-rec").textContent = d.recording ? "本次通话全程录音，录音自动关联本工单" : "";
    if (d.order) fillForm(d.order);
    showGuide(d.guidance);
    staffTable("earlier-orders", d.earlier_orders || [], (o) => [staffLight(o.light), o.number, o.created,
      o.type, o.status + (o.assignee ? "（" + o.assignee + "）" : ""), o.case_number, o.content], "无");
    staffTable("earlier-calls", d.earlier_calls || [], (c) => [c.at, c.type, c.outcome, c.seat], "无");
    const sel = $("transfer-target");
    sel.replaceChildren();
    for (const t of d.transfer || []) {
      const opt = document.createElement("option");
      opt.value = t.target; opt.textContent = t.label;
      sel.appendChild(opt);
    }
    $("result").textContent = "";
    clearInterval(clockTimer);
    clockTimer = setInterval(tick, 250);
    tick();
  }

  // ---- events pushed by the server ------------------------------------------------
  function listen() {
    const es = new EventSource("/panel/events");
    es.addEventListener("hello", (e) => {
      const d = JSON.parse(e.data);
      $("feed").textContent = d.connected ? "已连接" : "已连接（电话系统未连接）";
      if (d.seat_state) showSeat(d.seat_state);
      else if (!d.connected) showState("unknown");
    });
    es.onerror = () => { $("feed").textContent = "重新连接中…"; };
    es.addEventListener("pop", (e) => {
      const d = JSON.parse(e.data);
      seen.pops.push({ uid: d.uid, ami_ts: d.ami_ts, recv_ts: d.recv_ts, sent_ts: d.sent_ts,
                       shown: Date.now() / 1000 });
      showPop(d);
      if (!rtc) $("call-state").textContent = "振铃";
      showState("ringing");
    });
    es.addEventListener("answered", (e) => {
      const d = JSON.parse(e.data);
      seen.events.push(["answered", d.uid]);
      if (current && current.uid === d.uid) { current.answeredAt = d.at; tick(); }
      showState("on_call");
    });
    es.addEventListener("gone", (e) => {
      const d = JSON.parse(e.data);
      seen.events.push(["gone", d.uid, d.reason]);
      if (!current || current.uid !== d.uid || current.answeredAt) return;
      const why = { answered_elsewhere: "已由其他座席接听", no_answer: "未及时接听，已转其他座席",
                    caller_left: "来电人已挂机" }[d.reason] || "";
      $("pop-status").textContent = why;
      clearInterval(clockTimer);
      if (d.reason === "answered_elsewhere") resetPop();
    });
    es.addEventListener("ended", (e) => {
      const d = JSON.parse(e.data);
      seen.events.push(["ended", d.uid]);
      if (current && current.uid === d.uid) current.ended = true;
    });
    es.addEventListener("state", (e) => {
      const d = JSON.parse(e.data);
      seen.events.push(["state", d.state, d.reason]);
      showSeat(d);
    });
  }
  function resetPop() {
    current = null;
    clearInterval(clockTimer);
    $("pop").className = "card pop idle";
    $("pop-empty").hidden = false;
    $("pop-body").hidden = true;
  }

  // ---- the softphone -------------------------------------------------------------------
  function callButtons(state) {
    $("btn-answer").disabled = state !== "ringing";
    $("btn-hold").disabled = state !== "talking";
    $("btn-hangup").disabled = state === "idle";
    $("btn-transfer").disabled = state !== "talking";
    $("btn-judge").disabled = state !== "talking" || !!consult;
  }
  // A call this page asked for (click to call): the seat's own phone rings first and the
  // page answers it; the party is dialled once it has.
  let dialPending = 0;
  function incoming(session) {
    if (rtc) { session.terminate({ status_code: 486 }); return; }
    rtc = session;
    const name = session.remote_identity.display_name || "";
    if (/^(回电|外呼) /.test(name) && Date.now() - dialPending < 30000) {
      dialPending = 0;
      seen.dialAnswered = (seen.dialAnswered || 0) + 1;
      session.on("peerconnection", (ev) => attach(ev.peerconnection));
      session.on("confirmed", () => { $("call-state").textContent = "外呼：" + name; callButtons("talking"); });
      const over = () => {
        if (rtc === session) rtc = null;
        callButtons("idle"); $("call-state").textContent = "无";
        say("外呼已结束：" + name.split(" ").slice(1).join(" ") + "。请在回访任务中记录结果");
        loadCallbacks();
      };
      session.on("ended", over);
      session.on("failed", over);
      session.answer({ mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
      if (session.connection) attach(session.connection);
      return;
    }
    $("call-state").textContent = "振铃：" + (session.remote_identity.uri.user || "");
    callButtons("ringing");
    session.on("peerconnection", (ev) => attach(ev.peerconnection));
    session.on("confirmed", () => {
      $("call-state").textContent = "通话中";
      callButtons("talking");
      showState("on_call");
    });
    session.on("hold", () => { $("btn-hold").textContent = "恢复"; $("call-state").textContent = "保持中"; });
    session.on("unhold", () => { $("btn-hold").textContent = "保持"; $("call-state").textContent = "通话中"; });
    const over = () => {
      const talked = !!session.start_time; // set by JsSIP once the call was answered
      if (rtc === session) rtc = null;
      callButtons("idle");
      $("btn-hold").textContent = "保持";
      $("call-state").textContent = "无";
      if (talked) changeState("wrapup"); // R1: no new call rings until the order is written up
      // not answered: the PBX's news of the seat (ready again, or auto-paused) follows
    };
    session.on("ended", over);
    session.on("failed", over);
  }
  function attach(pc) {
    seen.pc = pc; // the call's media, for the tests' getStats()
    pc.addEventListener("track", (ev) => {
      $("remote-audio").srcObject = ev.streams[0] || new MediaStream([ev.track]);
    });
  }
  $("btn-answer").onclick = () => {
    if (!rtc) return;
    rtc.answer({ mediaConstraints: { audio: true, video: false },
                 pcConfig: { iceServers: [] }, rtcOfferConstraints: { offerToReceiveAudio: 1 } });
    if (rtc.connection) attach(rtc.connection);
  };
  $("btn-hold").onclick = () => {
    if (!rtc) return;
    if (rtc.isOnHold().local) rtc.unhold(); else rtc.hold();
  };
  $("btn-hangup").onclick = () => { if (rtc) rtc.terminate(); };
  $("btn-transfer").onclick = () => {
    const target = $("transfer-target").value;
    if (!rtc || !target) return;
    const host = cfg.sip.uri.split("@")[1];
    const session = rtc;
    // Asterisk takes the caller on; the seat's own leg is then ours to end
    session.refer("sip:" + target + "@" + host, {
      eventHandlers: { accepted: () => session.terminate(), failed: () => say("转接失败", true) },
    });
    say("已转接至 " + $("transfer-target").selectedOptions[0].textContent);
  };
  function startPhone() {
    if (!cfg.sip.webrtc) {
      $("reg").textContent = "本座席使用 SIP 话机";
      return;
    }
    if (!window.JsSIP) { $("reg").textContent = "软电话组件未加载"; return; }
    const socket = new JsSIP.WebSocketInterface(cfg.sip.ws);
    ua = new JsSIP.UA({ sockets: [socket], uri: cfg.sip.uri, password: cfg.sip.password,
                        register: true, session_timers: false, register_expires: 120,
                        user_agent: "hotline12368-panel" });
    ua.on("registered", () => { seen.registered = true; $("reg").textContent = "已注册"; });
    ua.on("unregistered", () => { seen.registered = false; $("reg").textContent = "未注册"; });
    ua.on("registrationFailed", (e) => {
      seen.registered = false;
      $("reg").textContent = "注册失败（" + window.staffSipCause(e.cause) + "）";
    });
    ua.on("disconnected", () => { $("reg").textContent = "与电话系统断开，重连中…"; });
    ua.on("newRTCSession", (e) => { if (e.originator === "remote") incoming(e.session); });
    ua.start();
    window.addEventListener("beforeunload", () => ua.stop());
  }

  // ---- the order form ----------------------------------------------------------------
  function answers() {
    return { specific_clues: $("a-clues").checked, complaint: $("a-complaint").value,
             judge_unreachable: $("a-unreachable").checked, abusive: $("a-abusive").checked,
             urgent: $("a-urgent").checked, leadership: $("a-leadership").checked };
  }
  function formData(action) {
    return Object.assign(answers(), {
      version: current.order.version, action: action, order_type: $("f-type").value,
      caller_name: $("f-name").value, case_number: $("f-case").value,
      callback_phone: $("f-callback").value, content: $("f-content").value,
      touches_rights: $("f-rights").checked, resolution: $("f-resolution").value,
      reason: $("f-reason").value, role: "" });
  }
  async function save(action) {
    const out = $("result");
    if (!current || !current.order) { out.textContent = "没有可保存的工单"; out.className = "result bad"; return; }
    try {
      const r = await post("/panel/orders/" + encodeURIComponent(current.order.number), formData(action));
      current.order = r.order;
      $("pop-status").textContent = r.order.status_label;
      let text = "已保存（工单 " + r.order.number + "，第 " + r.order.version + " 版）";
      if (action === "close") text = "已当场办结（" + r.order.rule + "）";
      if (action === "forward") text = "已转办：" + r.forwarded_to;
      out.textContent = text; out.className = "result ok";
    } catch (e) { out.textContent = e.message; out.className = "result bad"; }
  }
  $("btn-save").onclick = () => save("save");
  $("btn-close").onclick = () => save("close");
  $("btn-forward").onclick = () => save("forward");
  let guideTimer = null;
  function refreshGuide() {
    if (!current || !current.order) return;
    clearTimeout(guideTimer);
    guideTimer = setTimeout(async () => {
      try {
        showGuide(await post("/panel/orders/" + encodeURIComponent(current.order.number) + "/guidance",
                             Object.assign(answers(), { order_type: $("f-type").value })));
      } catch (e) { $("guide").textContent = e.message; }
    }, 150);
  }
  for (const id of ["f-type", "a-clues", "a-complaint", "a-unreachable", "a-abusive",
                    "a-urgent", "a-leadership"]) $(id).addEventListener("change", refreshGuide);

  // ---- bringing in the judge (R4.2, R4.8): consult, then hand the caller over ---------
  function judgeButtons(talking) {
    $("btn-judge-transfer").disabled = !talking;
    $("btn-judge-cancel").disabled = !consult;
    $("btn-judge").disabled = !rtc || !!consult;
  }
  $("btn-judge").onclick = async () => {
    if (!rtc || !current || !current.order || consult) return;
    let who;
    try {
      who = await post("/panel/orders/" + encodeURIComponent(current.order.number) + "/judge", {});
    } catch (e) { $("judge-state").textContent = e.message; return; }
    seen.judge = who;
    if (!rtc.isOnHold().local) rtc.hold();
    $("judge-state").textContent = "正在接通" + who.role + who.name + "（" + who.number + "），来电人保持中";
    const host = cfg.sip.uri.split("@")[1];
    consult = ua.call("sip:judge-" + who.order_id + "@" + host, {
      mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] },
      rtcOfferConstraints: { offerToReceiveAudio: 1 } });
    seen.consultPc = consult.connection;
    consult.connection.addEventListener("track", (ev) => {
      $("consult-audio").srcObject = ev.streams[0] || new MediaStream([ev.track]);
    });
    consult.on("confirmed", () => {
      seen.consulting = true;
      $("judge-state").textContent = "与" + who.role + who.name + "通话中：可转给法官，或结束咨询回到来电人";
      judgeButtons(true);
    });
    const gone = (e) => {
      const handedOver = seen.handedOver;
      consult = null; seen.consulting = false; judgeButtons(false);
      if (!handedOver) {
        $("judge-state").textContent = "法官未接通" + (e && e.cause ? "（" + window.staffSipCause(e.cause) + "）" : "") + "，已回到来电人";
        if (rtc && rtc.isOnHold().local) rtc.unhold();
      }
    };
    consult.on("failed", gone);
    consult.on("ended", gone);
    judgeButtons(false);
  };
  $("btn-judge-transfer").onclick = () => {
    if (!rtc || !consult) return;
    const caller = rtc, judgeCall = consult, number = current.order.number;
    caller.refer(judgeCall.remote_identity.uri, { replaces: judgeCall, eventHandlers: {
      accepted: async () => {
        // the transfer is done (NOTIFY 200): this seat's two legs are ours to end
        seen.handedOver = true;
        $("judge-state").textContent = "来电人已转给法官";
        for (const s of [judgeCall, caller]) { try { if (!s.isEnded()) s.terminate(); } catch (e) { /* gone */ } }
        try { await post("/panel/orders/" + encodeURIComponent(number) + "/judge/transferred", {}); } catch (e) { say(e.message, true); }
      },
      failed: () => { $("judge-state").textContent = "转接法官失败"; },
    } });
  };
  $("btn-judge-cancel").onclick = () => { if (consult) consult.terminate(); };

  // ---- callbacks (R10, R2) and click to call --------------------------------------------
  let chosen = null; // the callback whose outcome is being recorded
  async function dialOut(data) {
    dialPending = Date.now();
    say("正在呼叫本座席话机…");
    try {
      const r = await post("/panel/dial", data);
      say(r.said, !r.ok);
      seen.dialled = (seen.dialled || []).concat([r]);
    } catch (e) { dialPending = 0; say(e.message, true); }
    loadCallbacks();
  }
  function button(text, cls, fn) {
    const b = document.createElement("button");
    b.type = "button"; b.textContent = text; b.className = cls; b.onclick = fn;
    return b;
  }
  async function loadCallbacks() {
    let d;
    try {
      const r = await fetch("/panel/callbacks", { credentials: "same-origin" });
      d = await r.json();
      if (!r.ok) throw new Error(d.error || r.statusText);
    } catch (e) { $("cb-msg").textContent = e.message; return; }
    seen.callbacks = d.callbacks;
    if (!d.trunk) $("cb-msg").textContent = "未配置外呼线路：回访请用话机拨打";
    window.staffTable("callbacks", d.callbacks, (c) => [
      c.priority === 1 ? "涉诉权" : "一般", c.order, c.reason_zh, c.phone, c.due,
      c.calling ? "正由 " + c.calling + " 拨打" : (c.last || (c.attempts ? "已拨 " + c.attempts + " 次" : "")),
      [button("回拨", "green", () => dialOut({ task_id: c.id })),
       button("记录", "grey", () => {
         chosen = c; $("cb-which").textContent = "工单 " + c.order + "：";
         $("cb-satisfaction").hidden = !c.feedback; $("cb-outcome").hidden = false; })]], "暂无回访任务");
  }
  $("btn-cb-done").onclick = async () => {
    if (!chosen) return;
    try {
      const r = await post("/panel/callbacks/" + chosen.id, {
        outcome: $("cb-result").value, satisfaction: chosen.feedback ? $("cb-satisfaction").value : "" });
      $("cb-msg").textContent = "已记录（工单 " + r.order + "）";
      $("cb-outcome").hidden = true; chosen = null;
    } catch (e) { $("cb-msg").textContent = e.message; }
    loadCallbacks();
  };
  $("btn-dial").onclick = () => {
    if (!current || !current.order) { say("没有工单：请在来电弹屏的工单上外呼", true); return; }
    dialOut({ order: current.order.number, number: $("f-callback").value });
  };

  callButtons("idle");
  listen();
  startPhone();
  loadCallbacks();
  setInterval(loadCallbacks, 15000);
})();
