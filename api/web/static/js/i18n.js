// Labels in Chinese (default) and English. Elements carry data-i18n="key" (text) or
// data-i18n-placeholder / data-i18n-title; applyI18n() fills them in.

const ZH = {
  "app.title": "智慧场景 · 城管指挥台",
  "login.title": "登录指挥台", "login.user": "用户名", "login.password": "密码",
  "login.submit": "登录", "login.failed": "用户名或密码错误", "login.blocked": "失败次数过多，请稍后再试",
  "nav.map": "态势地图", "nav.cases": "案件列表", "nav.cameras": "摄像机", "nav.reports": "统计报表",
  "nav.logout": "退出", "nav.lang": "English", "nav.datum": "坐标系",
  "live.ws": "实时 (WebSocket)", "live.sse": "实时 (SSE)", "live.poll": "轮询", "live.off": "未连接",
  "layer.districts": "行政区划", "layer.grid": "单元网格", "layer.resp": "责任区", "layer.cameras": "摄像机",
  "layer.cases": "案件", "layer.staff": "巡查员", "layer.heat": "热力图",
  "legend.on_time": "按时", "legend.warning": "预警", "legend.breached": "超时",
  "toast.new_case": "新案件", "toast.breach": "超时告警",
  "panel.close": "关闭", "panel.evidence": "证据", "panel.timeline": "处置过程", "panel.sla": "时限",
  "panel.suggest": "推荐人员", "panel.actions": "操作", "panel.dispatches": "派遣记录",
  "panel.no_evidence": "暂无证据", "panel.no_staff": "无可用人员", "panel.assigned": "处置人",
  "panel.note": "备注（可选）", "panel.location": "位置", "panel.camera": "摄像机",
  "panel.first_seen": "发现时间", "panel.events": "事件数",
  "sla.arrive": "到场", "sla.resolve": "处置", "sla.handling": "办结", "sla.done": "已完成",
  "sla.left": "剩余", "sla.over": "超时",
  "action.dispatch": "派遣", "action.reassign": "改派", "action.void": "作废", "action.merge": "合并",
  "action.escalate": "升级", "action.verify": "核查通过", "action.close": "结案", "action.file": "立案",
  "action.reject": "不予立案", "action.fail_verification": "核查不通过", "action.return": "退回",
  "action.park": "挂起", "action.unpark": "恢复", "action.extend": "延期",
  "action.self_handle": "自行处置", "action.auto_dispatch": "自动派遣",
  "action.report": "上报", "action.accept": "接单", "action.decline": "拒单", "action.depart": "出发",
  "action.arrive": "到场签到", "action.handle": "处置完成", "action.merge_event": "合并事件",
  "action.no_candidate": "无可派人员", "action.sla_breach": "超时", "action.escalated": "已升级",
  "action.merge_prompt": "合并到哪个案件（案件 ID）？", "action.extend_prompt": "延期多少分钟？",
  "action.failed": "操作失败", "action.done": "已完成",
  "state.reported": "上报", "state.filed": "已立案", "state.dispatched": "已派遣",
  "state.accepted": "已接单", "state.en_route": "在途", "state.on_site": "到场",
  "state.handled": "已处置", "state.verified": "已核查", "state.closed": "已结案",
  "state.voided": "已作废", "state.rejected": "不予立案", "state.returned": "已退回",
  "state.reworked": "返工", "state.parked": "挂起", "state.self_handled": "自行处置",
  "staff.available": "空闲", "staff.offered": "待接单", "staff.busy": "忙碌", "staff.off_shift": "下班",
  "staff.eta": "预计", "staff.distance": "距离", "staff.straight": "直线估算",
  "cases.filter": "筛选", "cases.state": "状态", "cases.category": "类别", "cases.district": "区域",
  "cases.since": "起始", "cases.until": "截止", "cases.all": "全部", "cases.apply": "查询",
  "cases.more": "加载更多", "cases.count": "共 {n} 件", "cases.code": "编号", "cases.sla": "时限",
  "cases.time": "时间", "cases.none": "没有符合条件的案件",
  "cam.list": "摄像机列表", "cam.status": "状态", "cam.view": "查看", "cam.edit": "编辑区域",
  "cam.no_frame": "暂无画面", "cam.ok": "正常", "cam.stale": "画面滞后", "cam.down": "离线",
  "cam.unknown": "未知", "cam.disabled": "停用", "cam.zones": "区域", "cam.lines": "界线", "cam.rules": "规则",
  "cam.no_scene": "该摄像机尚无场景配置",
  "ed.polygon": "画区域", "ed.line": "画界线", "ed.select": "选择", "ed.finish": "完成",
  "ed.cancel": "取消", "ed.delete": "删除", "ed.save": "保存场景", "ed.saved": "场景已保存",
  "ed.id": "ID", "ed.name": "名称", "ed.direction": "方向", "ed.any": "双向",
  "ed.left_to_right": "左→右", "ed.right_to_left": "右→左",
  "ed.hint_polygon": "在画面上依次点击顶点，双击或点“完成”闭合",
  "ed.hint_line": "点击起点和终点；箭头表示计数方向",
  "ed.save_failed": "保存失败",
  "err.network": "网络错误", "err.session": "登录已过期，请重新登录", "err.missing": "服务器尚未提供此功能",
};

const EN = {
  "app.title": "smartscene · Operations console",
  "login.title": "Sign in", "login.user": "Username", "login.password": "Password",
  "login.submit": "Sign in", "login.failed": "Wrong username or password",
  "login.blocked": "Too many failures; wait a few minutes",
  "nav.map": "Live map", "nav.cases": "Cases", "nav.cameras": "Cameras", "nav.reports": "Reports",
  "nav.logout": "Sign out", "nav.lang": "中文", "nav.datum": "Datum",
  "live.ws": "Live (WebSocket)", "live.sse": "Live (SSE)", "live.poll": "Polling", "live.off": "Offline",
  "layer.districts": "Districts", "layer.grid": "Unit grid", "layer.resp": "Responsibility",
  "layer.cameras": "Cameras", "layer.cases": "Cases", "layer.staff": "Staff", "layer.heat": "Heat",
  "legend.on_time": "On time", "legend.warning": "Warning", "legend.breached": "Breached",
  "toast.new_case": "New case", "toast.breach": "SLA breached",
  "panel.close": "Close", "panel.evidence": "Evidence", "panel.timeline": "Timeline",
  "panel.sla": "SLA clocks", "panel.suggest": "Suggested staff", "panel.actions": "Actions",
  "panel.dispatches": "Dispatches", "panel.no_evidence": "No evidence", "panel.no_staff": "Nobody available",
  "panel.assigned": "Assigned", "panel.note": "Note (optional)", "panel.location": "Location",
  "panel.camera": "Camera", "panel.first_seen": "First seen", "panel.events": "Events",
  "sla.arrive": "Arrive", "sla.resolve": "Resolve", "sla.handling": "Handling", "sla.done": "done",
  "sla.left": "left", "sla.over": "over",
  "action.dispatch": "Dispatch", "action.reassign": "Reassign", "action.void": "Void",
  "action.merge": "Merge", "action.escalate": "Escalate", "action.verify": "Verify",
  "action.close": "Close", "action.file": "File", "action.reject": "Reject",
  "action.fail_verification": "Fail verification", "action.return": "Return", "action.park": "Park",
  "action.unpark": "Unpark", "action.extend": "Extend", "action.self_handle": "Self-handle",
  "action.auto_dispatch": "Auto-dispatch", "action.merge_prompt": "Merge into which case (id)?",
  "action.report": "Reported", "action.accept": "Accepted", "action.decline": "Declined",
  "action.depart": "Departed", "action.arrive": "Arrived", "action.handle": "Handled",
  "action.merge_event": "Event merged", "action.no_candidate": "Nobody available",
  "action.sla_breach": "SLA breached", "action.escalated": "Escalated",
  "action.extend_prompt": "Extend by how many minutes?", "action.failed": "Action failed",
  "action.done": "Done",
  "state.reported": "Reported", "state.filed": "Filed", "state.dispatched": "Dispatched",
  "state.accepted": "Accepted", "state.en_route": "En route", "state.on_site": "On site",
  "state.handled": "Handled", "state.verified": "Verified", "state.closed": "Closed",
  "state.voided": "Voided", "state.rejected": "Rejected", "state.returned": "Returned",
  "state.reworked": "Rework", "state.parked": "Parked", "state.self_handled": "Self-handled",
  "staff.available": "Available", "staff.offered": "Offered", "staff.busy": "Busy",
  "staff.off_shift": "Off shift", "staff.eta": "ETA", "staff.distance": "Distance",
  "staff.straight": "straight-line estimate",
  "cases.filter": "Filter", "cases.state": "State", "cases.category": "Category",
  "cases.district": "Area", "cases.since": "From", "cases.until": "To", "cases.all": "All",
  "cases.apply": "Search", "cases.more": "Load more", "cases.count": "{n} cases",
  "cases.code": "Code", "cases.sla": "SLA", "cases.time": "Time", "cases.none": "No matching cases",
  "cam.list": "Cameras", "cam.status": "Status", "cam.view": "View", "cam.edit": "Edit zones",
  "cam.no_frame": "No frame yet", "cam.ok": "OK", "cam.stale": "Stale", "cam.down": "Down",
  "cam.unknown": "Unknown", "cam.disabled": "Disabled", "cam.zones": "Zones", "cam.lines": "Lines",
  "cam.rules": "Rules",
  "cam.no_scene": "This camera has no scene yet",
  "ed.polygon": "Draw zone", "ed.line": "Draw line", "ed.select": "Select", "ed.finish": "Finish",
  "ed.cancel": "Cancel", "ed.delete": "Delete", "ed.save": "Save scene", "ed.saved": "Scene saved",
  "ed.id": "ID", "ed.name": "Name", "ed.direction": "Direction", "ed.any": "Both ways",
  "ed.left_to_right": "Left→right", "ed.right_to_left": "Right→left",
  "ed.hint_polygon": "Click the corners on the frame; double-click or Finish to close",
  "ed.hint_line": "Click start and end; the arrow shows the counted direction",
  "ed.save_failed": "Save failed",
  "err.network": "Network error", "err.session": "Session expired; sign in again",
  "err.missing": "The server does not offer this yet",
};

const DICTS = { "zh-CN": ZH, en: EN };
let lang = localStorage.getItem("smartscene.lang") || "zh-CN";
if (!DICTS[lang]) lang = "zh-CN";

/** The current language code. */
export function currentLang() {
  return lang;
}

/** Translate ``key``; ``{name}`` placeholders are filled from ``vars``. Unknown keys echo back. */
export function t(key, vars = {}) {
  const text = DICTS[lang][key] ?? ZH[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

/** Fill every data-i18n element under ``root``. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}

/** Switch language, remember it, and relabel the page. */
export function setLang(next) {
  lang = DICTS[next] ? next : "zh-CN";
  localStorage.setItem("smartscene.lang", lang);
  applyI18n();
  window.dispatchEvent(new CustomEvent("smartscene:lang", { detail: lang }));
}

/** The category's name in the current language (falls back to its code). */
export function categoryName(category, code) {
  if (!category) return code;
  return (lang === "en" ? category.name_en : category.name_zh) || category.name_zh || code;
}
