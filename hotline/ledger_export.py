"""The ledger (R9) as a spreadsheet with Chinese headers, CSV or JSON.

Excel is what a litigation-service office sends up; CSV is written with a byte-order mark
so Excel opens the Chinese text correctly; JSON is for other systems.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from workorder import directory
from workorder.ledger import RATES, Ledger, Row
from workorder.types import Role

_ROW_HEADERS = ("法院", "名称", "工单量", "转办", "按时受理", "按期反馈", "逾期", "催办", "升级督办",
                "及时受理率", "按期办结率")
_CALL_LABELS = {"calls": "来电总数", "offered": "进入人工队列", "answered": "座席接听",
                "answered_within_target": "10秒内接听", "abandoned": "排队放弃",
                "overflowed": "超时溢出"}
_COUNT_LABELS = {"orders": "工单总数", "decided": "已作处理决定", "on_call": "当场办结",
                 "forwarded": "转办", "accepted_in_time": "按时受理", "fed_back": "已反馈",
                 "completion_due": "应反馈", "fed_back_in_time": "按期反馈", "closed": "已办结",
                 "overdue": "逾期", "reminded": "催办", "escalated": "升级督办",
                 "contact_decided": "联系法官（已决定）", "contact_made": "联系法官（已联系上）"}
_CHANNELS = {"hotline": "12368热线", "hall": "诉讼服务大厅", "kiosk": "自助终端", "web": "网站",
             "wechat": "微信"}


class Pct(float):
    """A rate: a number in the spreadsheet (formatted 0.0%), text like 91.8% in CSV."""

    def __str__(self) -> str:
        return f"{self * 100:.1f}%"


def _pct(v: float | None) -> Pct | str:
    return "—" if v is None else Pct(v)


def _row(r: Row) -> list:
    c = r.counts
    return [r.court, r.name, c.orders, c.forwarded, c.accepted_in_time, c.fed_back_in_time,
            c.overdue, c.reminded, c.escalated, _pct(r.rates["timely_acceptance"]),
            _pct(r.rates["timely_completion"])]


def sections(led: Ledger) -> list[tuple[str, list[str], list[list]]]:
    """(title, headers, rows) of every table, in the order they are printed."""
    scope = led.court or "全部法院"
    out = [
        ("概况", ["项目", "数值"], [["月份", led.month], ["范围", scope],
                                  ["生成时间", led.generated_at.isoformat(timespec="seconds")]]
         + [[_COUNT_LABELS[k], v] for k, v in vars(led.totals).items()]),
        ("考核指标", ["指标", "数值", "目标", "口径"],
         [[name, _pct(led.rates.get(key)), "100%" if key in (
             "timely_acceptance", "judge_contact", "timely_completion") else "", definition]
          for key, name, definition in RATES]),
        ("按类型", ["类型", "工单量"], [[k, v] for k, v in led.by_type.items()]),
        ("按渠道", ["渠道", "工单量"], [[_CHANNELS.get(k, k), v] for k, v in led.by_channel.items()]),
        ("按状态", ["状态", "工单量"], [[k, v] for k, v in led.by_status.items()]),
        ("来电", ["项目", "数值"], [[_CALL_LABELS[k], v] for k, v in led.calls.items()]),
        ("回访满意度", ["评价", "次数"], [[k, v] for k, v in led.satisfaction.items()]),
        ("部门排名", ["名次", *_ROW_HEADERS],
         [[i, *_row(r)] for i, r in enumerate(led.departments, start=1)]),
        ("法院排名", ["名次", *_ROW_HEADERS],
         [[i, *_row(r)] for i, r in enumerate(led.courts, start=1)]),
        ("后进部门", list(_ROW_HEADERS), [_row(r) for r in led.laggards]),
        ("热点案由", ["案由", "工单量"], [list(x) for x in led.hot_causes]),
        ("工单集中部门", ["类型", "法院", "部门", "工单量"],
         [[h["type"], h["court"], h["department"], h["orders"]] for h in led.hot_spots]),
        ("催办后仍未办理", ["工单号", "法院", "部门", "承办人", "转办时间", "催办时间"],
         [[n["number"], n["court"], n["department"], n["assignee"], n["dispatched_at"],
           n["reminded_at"]] for n in led.named_orders]),
    ]
    return out


def to_json(led: Ledger) -> str:
    data = led.as_dict()
    data["roles"] = {r.value: r.label_zh for r in Role}
    return json.dumps(data, ensure_ascii=False, indent=1, default=str)


# A text a spreadsheet would take for a formula (=HYPERLINK(…), +1, -1, @SUM…, or one of
# these after a tab or carriage return). Names come from the court's directory files,
# whose import warns about them.
FORMULA_START = (*directory.FORMULA_START, "\t", "\r")


def looks_like_formula(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _csv_cell(value: object) -> object:
    """CSV cells have no type: a leading apostrophe is how spreadsheets read text."""
    return f"'{value}" if looks_like_formula(value) else value


def to_csv(led: Ledger) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    for title, headers, rows in sections(led):
        w.writerow([f"【{title}】"])
        w.writerow(headers)
        w.writerows([_csv_cell(v) for v in row] for row in rows)
        w.writerow([])
    return buf.getvalue()


def render_text(led: Ledger, fmt: str) -> str:
    return to_json(led) if fmt == "json" else to_csv(led)


def to_xlsx(led: Ledger) -> bytes:
    """The Excel workbook, as ``write`` saves it."""
    buf = io.BytesIO()
    _workbook(led).save(buf)
    return buf.getvalue()


def write(led: Ledger, fmt: str, path: Path) -> None:
    """Write the ledger; the file appears complete or not at all."""
    tmp = path.with_name(path.name + ".part")
    if fmt == "xlsx":
        _workbook(led).save(tmp)
    elif fmt == "csv":
        tmp.write_text(to_csv(led), encoding="utf-8-sig")  # BOM: Excel reads it as UTF-8
    else:
        tmp.write_text(to_json(led), encoding="utf-8")
    tmp.replace(path)


MIN_WIDTH, MAX_WIDTH = 6, 60  # Excel's column widths, in widths of a digit


def _text_width(value: object) -> int:
    """How wide a cell's text is: a Chinese character (or a full-width sign) is about two
    digits wide, anything else one."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(value))


def _workbook(led: Ledger) -> Workbook:
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for title, headers, rows in sections(led):
        ws = wb.create_sheet(title[:31])
        ws.append(headers)
        for cell in ws[1]:
            cell.font = bold
        for row in rows:
            ws.append([float(v) if isinstance(v, Pct) else v for v in row])
            for cell, v in zip(ws[ws.max_row], row, strict=False):
                if isinstance(v, Pct):
                    cell.number_format = "0.0%"
                elif looks_like_formula(v):
                    cell.data_type = "s"  # openpyxl made it a formula: it is a name
        ws.freeze_panes = "A2"
        for i, header in enumerate(headers, start=1):
            longest = max([_text_width(header)]
                          + [_text_width(r[i - 1]) for r in rows[:200] if len(r) >= i])
            ws.column_dimensions[ws.cell(1, i).column_letter].width = min(
                max(longest + 2, MIN_WIDTH), MAX_WIDTH)
        if title == "考核指标":
            for row in ws.iter_rows(min_row=2, min_col=4, max_col=4):
                for cell in row:
                    cell.alignment = Alignment(wrap_text=True)
    return wb
