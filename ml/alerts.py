"""Alerts people read: customers who crossed into risk since the previous snapshot, per manager.

Rules (config/health.yaml ``alerts``; docs/methods.md "Alerts"):

- **Crossing.** A customer is a candidate when today's risk stage (marts.customer_verdict) is one
  of ``risk_stages`` and later in ``stage_order`` than in the previous snapshot (ml.alert_history:
  the latest as_of before the run's), or the customer is new to the snapshot. ``churned`` is not
  an alert stage: that is a win-back, handled by the lists.
- **First run.** Without an earlier snapshot everyone already at risk would "cross": instead each
  manager gets ONE digest (counts by stage, value at risk, the top ``digest_top_n`` by value).
- **Silence relative to the customer's own rhythm.** A candidate whose reasons are only silence
  (``silence.reason_codes``) is alerted only when silence_days > rhythm_multiplier x rhythm_days
  (the customer's own contact rhythm, else purchase cycle), and never while still buying within
  the cycle (lifecycle_state ``active``); nor for a still-buying customer whose only other reason
  is a model's guess (``still_buying_holds``). Anyone silent for more than ``win_back_after_days`` is a
  win-back, never an alert (whatever the reasons): no «Срочно назначить встречу» after a year.
- **Budget and ranking.** Per manager, candidates are ranked by value at risk (then risk score);
  the first ``daily_budget_per_manager`` are alerts, the rest ``over_budget`` (they stay in the
  manager's list, marts.mart_manager_today).
- **Routing.** Per manager (normalised name), else team, else the default webhook.

Every customer of the day gets a row in the decision log (``history``) with its decision, so
"crossed since the previous snapshot" is defined under back-fills and re-runs alike.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .health import load_health_config, per_distinct
from .pii import mask_contact, mask_person

ALERT_COLUMNS = [
    "customer_id", "as_of", "full_name", "manager", "route", "severity", "risk_stage", "previous_stage",
    "risk_score", "previous_score", "health_score", "health_band", "value_tier", "expected_value",
    "value_at_risk", "rank_for_manager", "reasons", "reason_codes", "playbook", "recommended_action",
    "contact_channel", "contact", "silence_days", "rhythm_days", "message",
]
DIGEST_COLUMNS = ["as_of", "manager", "route", "customers", "stage_counts", "value_at_risk", "top_customers",
                  "message"]
HISTORY_COLUMNS = ["customer_id", "manager", "risk_stage", "risk_score", "action_level", "value_at_risk",
                   "in_risk", "decision"]

# decisions of the log (ml.alert_history.decision)
ALERT, OVER_BUDGET, DIGEST = "alert", "over_budget", "digest"
WIN_BACK, STILL_BUYING, WITHIN_RHYTHM = "win_back", "still_buying", "silence_within_rhythm"
ALREADY, NOT_IN_RISK = "already_at_risk", "not_in_risk"

# column -> DuckDB type: the tables are written with these types, also when empty (a first run
# has no alerts, and a NULL-typed column would break every reader)
SQL_TYPES = {
    "customer_id": "VARCHAR", "as_of": "DATE", "full_name": "VARCHAR", "manager": "VARCHAR", "route": "VARCHAR",
    "severity": "VARCHAR", "risk_stage": "VARCHAR", "previous_stage": "VARCHAR", "risk_score": "DOUBLE",
    "previous_score": "DOUBLE", "health_score": "DOUBLE", "health_band": "VARCHAR", "value_tier": "VARCHAR",
    "expected_value": "DOUBLE", "value_at_risk": "DOUBLE", "rank_for_manager": "INTEGER", "reasons": "VARCHAR",
    "reason_codes": "VARCHAR", "playbook": "VARCHAR", "recommended_action": "VARCHAR",
    "contact_channel": "VARCHAR", "contact": "VARCHAR", "silence_days": "DOUBLE", "rhythm_days": "DOUBLE",
    "message": "VARCHAR", "customers": "INTEGER", "stage_counts": "VARCHAR", "top_customers": "VARCHAR",
    "action_level": "DOUBLE", "in_risk": "BOOLEAN", "decision": "VARCHAR",
}
_PANDAS = {"DOUBLE": "float64", "INTEGER": "int64", "BOOLEAN": "bool"}


def _typed(rows: list[dict] | pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """A frame with fixed numeric dtypes, also when empty."""
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype({c: _PANDAS[SQL_TYPES[c]] for c in columns if SQL_TYPES[c] in _PANDAS})


def typed_select(frame_name: str, columns: list[str]) -> str:
    """SELECT list casting every column to its DuckDB type (used when the asset writes a table)."""
    return ", ".join(f'CAST("{c}" AS {SQL_TYPES[c]}) AS "{c}"' for c in columns) + f" FROM {frame_name}"


def manager_key(name) -> str:
    """Normalised manager name for matching routes: case, ё/е, punctuation and spacing ignored."""
    if name is None or (isinstance(name, float) and np.isnan(name)):
        return ""
    text = str(name).casefold().replace("ё", "е")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


@dataclass(frozen=True)
class Route:
    name: str                  # 'manager:<key>', 'team:<name>' or 'default'
    webhook: str | None
    kind: str = "slack"
    chat_id: str | int | None = None


def route_for(manager: str, routing: dict, default: Route) -> Route:
    """The manager's own route, else their team's, else the default."""
    key = manager_key(manager)
    for name, r in (routing.get("managers") or {}).items():
        if key and manager_key(name) == key:
            return Route(f"manager:{key}", r["webhook"], r.get("kind") or "slack", r.get("chat_id"))
    for team, r in (routing.get("teams") or {}).items():
        if key and key in {manager_key(m) for m in r.get("members") or []}:
            return Route(f"team:{team}", r["webhook"], r.get("kind") or "slack", r.get("chat_id"))
    return default


def _as_list(value, separators: str) -> list[str]:
    """A list / array column as a list of strings, or text split at ``separators`` (NULL: [])."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value if v is not None and str(v)]
    return [t.strip() for t in re.split(f"[{separators}]", str(value)) if t.strip()]


def _codes(value) -> list[str]:
    """reason_codes as a list, whether stored as a list / array or as 'a,b' text."""
    return _as_list(value, ",;")


def _texts(value) -> list[str]:
    """reasons as a list, whether stored as a list / array or as 'a; b' text."""
    return _as_list(value, ";")


def _num(value) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(v) else v


def _who(name, customer_id: str, acfg: dict | None = None) -> str:
    """Who an alert is about, as the webhook may carry it (alerts.pii): ``full`` «Иванова Мария
    (CUST-000007)»; ``mask`` (the default) «Мария И. (CUST-000007)» with the id as a link when
    alerts.customer_url is set; the id alone when the golden record has no name."""
    acfg = acfg or {}
    ref = customer_id
    if acfg.get("customer_url"):
        ref = acfg["customer_url"].format(customer_id=customer_id)
    if not (isinstance(name, str) and name.strip() and name != customer_id):
        return ref
    shown = name if acfg.get("pii", "mask") == "full" else mask_person(name)
    return f"{shown} ({ref})" if shown else ref


def _contact(contact, acfg: dict) -> str:
    """The contact as the message carries it: masked unless alerts.pii is ``full``."""
    if not (isinstance(contact, str) and contact):
        return "—"
    return contact if acfg.get("pii", "mask") == "full" else (mask_contact(contact) or "—")


def _money(value) -> str:
    v = _num(value)
    return "—" if v is None else f"{v:,.0f}".replace(",", " ")


def rhythm_days(contact_gap_days, contact_gaps, cycle_days, min_gaps: int) -> float | None:
    """The customer's own rhythm: the median gap between their contact days when there are enough
    gaps, else their purchase cycle; None when neither is known (then no silence is unusual)."""
    gaps = _num(contact_gaps) or 0
    gap = _num(contact_gap_days)
    if gap is not None and gaps >= min_gaps and gap > 0:
        return gap
    return _num(cycle_days)


def silence_decision(row: dict, only_silence: bool, silence: dict, only_guesses: bool | None = None) -> str | None:
    """None = may alert; else the decision that holds the alert back (win_back, still_buying,
    silence_within_rhythm). only_guesses: every reason is a silence or a model's guess
    (``silence.still_buying_holds``), nothing the customer did."""
    days = _num(row.get("silence_days"))
    if days is not None and days > silence["win_back_after_days"]:
        return WIN_BACK
    if (only_silence or only_guesses) and row.get("lifecycle_state") == "active":
        return STILL_BUYING
    if not only_silence:
        return None
    rhythm = rhythm_days(row.get("contact_gap_days"), row.get("contact_gaps"), row.get("cycle_days"),
                         int(silence["min_rhythm_gaps"]))
    if days is None or rhythm is None or days <= float(silence["rhythm_multiplier"]) * rhythm:
        return WITHIN_RHYTHM
    return None


@dataclass
class AlertOutputs:
    alerts: pd.DataFrame       # ml.alerts: the alerts to post (within budget)
    digests: pd.DataFrame      # ml.alert_digests: one per manager on a first run, else empty
    history: pd.DataFrame      # ml.alert_history rows of this as_of: every customer and its decision
    first_run: bool


def build_alerts_by_customer(verdict, previous, as_of, config=None, default_route=None) -> AlertOutputs:
    """The per-customer definition of :func:`build_alerts` (same arguments, same outputs): one
    Python pass over every customer's record, the reference the vectorised version is tested
    against."""
    cfg = load_health_config(config)
    acfg, lang = cfg["alerts"], cfg["reasons_language"]
    order = {s: i for i, s in enumerate(acfg["stage_order"])}
    risk_stages = set(acfg["risk_stages"])
    silence_codes = set(acfg["silence"]["reason_codes"])
    guess_codes = set(acfg["silence"]["still_buying_holds"])
    labels = acfg["stage_labels"][lang]
    default_route = default_route or Route("default", None)
    no_manager = acfg["no_manager"]
    first_run = previous is None
    prev_stage, prev_score = {}, {}
    if previous is not None and len(previous):
        prev_stage = dict(zip(previous["customer_id"], previous["risk_stage"]))
        if "risk_score" in previous:
            prev_score = dict(zip(previous["customer_id"], previous["risk_score"]))

    rows, log = [], []
    for r in verdict.to_dict("records"):
        cid = r["customer_id"]
        manager = r.get("manager") if isinstance(r.get("manager"), str) and r.get("manager").strip() else no_manager
        stage = r.get("risk_stage")
        in_risk = stage in risk_stages
        entry = {"customer_id": cid, "manager": manager, "risk_stage": stage, "risk_score": _num(r.get("risk_score")),
                 "action_level": _num(r.get("action_level")), "value_at_risk": _num(r.get("value_at_risk")),
                 "in_risk": bool(in_risk), "decision": NOT_IN_RISK}
        log.append(entry)
        if not in_risk:
            continue
        before = prev_stage.get(cid)
        if not first_run and cid in prev_stage and order.get(before, -1) >= order[stage]:
            entry["decision"] = ALREADY
            continue
        codes = _codes(r.get("reason_codes"))
        only_silence = not [c for c in codes if c not in silence_codes]
        only_guesses = not [c for c in codes if c not in silence_codes | guess_codes]
        held = silence_decision(r, only_silence, acfg["silence"], only_guesses)
        if held:
            entry["decision"] = held
            continue
        if first_run:              # counted in the digest and may be named in its top list
            entry["decision"] = DIGEST
            continue
        entry["decision"] = ALERT
        dropped: set[str] = set()
        if not only_silence and silence_decision(r, True, acfg["silence"]):
            dropped = {c for c in codes if c in silence_codes}    # silence usual for them: not a step to take
        rows.append((entry, r, [c for c in codes if c not in dropped], before, dropped))

    alerts = _alert_rows(rows, as_of, cfg, acfg, lang, labels, prev_score, default_route)
    digests = _digests(pd.DataFrame(log), verdict, as_of, acfg, lang, labels, default_route) if first_run else _typed([], DIGEST_COLUMNS)
    history = _typed([{**e, "manager": None if e["manager"] == no_manager else e["manager"]} for e in log],
                     HISTORY_COLUMNS)
    return AlertOutputs(alerts, digests, history, first_run)


def build_alerts(verdict: pd.DataFrame, previous: pd.DataFrame | None, as_of, config: dict | None = None,
                 default_route: Route | None = None) -> AlertOutputs:
    """Alerts, first-run digests and the decision log of one as-of date (rules: module docstring).

    verdict: one row per customer (marts.customer_verdict columns; optional extra columns
    health_score, health_band, silence_days, contact_gap_days, contact_gaps, cycle_days).
    previous: the previous snapshot of ml.alert_history (customer_id, risk_stage, risk_score),
    None when there is none (first run).

    Every customer's decision is computed as columns (equal to :func:`build_alerts_by_customer`);
    only the crossings that become alerts are read as records: at a million customers the
    per-customer pass over the whole verdict was the step's cost."""
    cfg = load_health_config(config)
    acfg, lang = cfg["alerts"], cfg["reasons_language"]
    order = {s: i for i, s in enumerate(acfg["stage_order"])}
    silence = acfg["silence"]
    default_route = default_route or Route("default", None)
    no_manager = acfg["no_manager"]
    first_run = previous is None
    n = len(verdict)
    v = verdict.reset_index(drop=True)
    col = lambda c: v[c].to_numpy(dtype=object) if c in v else np.full(n, None, dtype=object)  # noqa: E731
    cid = col("customer_id")
    manager = per_distinct(col("manager"), lambda m: m if isinstance(m, str) and m.strip() else no_manager)
    stage = col("risk_stage")
    in_risk = pd.Series(stage, dtype=object).isin(set(acfg["risk_stages"])).to_numpy()
    decision = np.where(in_risk, "", NOT_IN_RISK).astype(object)
    before = np.full(n, None, dtype=object)
    if not first_run and len(previous):
        prev = previous.drop_duplicates("customer_id", keep="last")
        pos = pd.Index(prev["customer_id"]).get_indexer(cid)
        known = pos >= 0
        before[known] = prev["risk_stage"].to_numpy(dtype=object)[pos[known]]
        rank_before = per_distinct(before, lambda s: order.get(s, -1)).astype(float)
        rank_now = per_distinct(np.where(in_risk, stage, None), lambda s: order[s] if s is not None else -1)
        decision[in_risk & known & (rank_before >= rank_now.astype(float))] = ALREADY
    open_ = decision == ""
    codes = _long_codes(col("reason_codes"), open_)
    silence_codes = set(silence["reason_codes"])
    only_silence = _only(codes, silence_codes, n)
    only_guesses = _only(codes, silence_codes | set(silence["still_buying_holds"]), n)
    days, active = _nums(v, "silence_days"), pd.Series(col("lifecycle_state"), dtype=object).eq("active").to_numpy()
    rhythm = _rhythm(v, int(silence["min_rhythm_gaps"]))
    with np.errstate(invalid="ignore"):
        win_back = days > float(silence["win_back_after_days"])
        usual = np.isnan(days) | np.isnan(rhythm) | (days <= float(silence["rhythm_multiplier"]) * rhythm)
    held = np.select([win_back, (only_silence | only_guesses) & active, only_silence & usual],
                     [WIN_BACK, STILL_BUYING, WITHIN_RHYTHM], "").astype(object)
    decision[open_] = np.where(held[open_] != "", held[open_], DIGEST if first_run else ALERT)
    log = pd.DataFrame({"customer_id": cid, "manager": manager, "risk_stage": stage,
                        "risk_score": _nums(v, "risk_score"), "action_level": _nums(v, "action_level"),
                        "value_at_risk": _nums(v, "value_at_risk"), "in_risk": in_risk.astype(bool),
                        "decision": decision})
    crossing = np.flatnonzero(decision == ALERT)
    # the silence of a customer whose other reasons alert is usual for them: not a step to take
    drop_silence = ~only_silence & (active | usual)
    records = v.iloc[crossing].to_dict("records")
    entries = log.iloc[crossing].to_dict("records")
    own = codes[codes.index.isin(crossing)]
    by_row = own.groupby(level=0).agg(list).to_dict() if len(own) else {}
    rows = []
    for i, entry, r in zip(crossing, entries, records):
        entry["risk_score"], entry["value_at_risk"] = _num(entry["risk_score"]), _num(entry["value_at_risk"])
        row_codes = by_row.get(i, [])
        dropped = {c for c in row_codes if c in silence_codes} if drop_silence[i] else set()
        rows.append((entry, r, [c for c in row_codes if c not in dropped], before[i], dropped))
    alerts = _alert_rows(rows, as_of, cfg, acfg, lang, acfg["stage_labels"][lang], _previous_scores(previous),
                         default_route)
    if len(crossing):
        log.loc[crossing, "decision"] = [e["decision"] for e, *_ in rows]
    digests = _digests(log, verdict, as_of, acfg, lang, acfg["stage_labels"][lang], default_route) if first_run \
        else _typed([], DIGEST_COLUMNS)
    history = log.assign(manager=log["manager"].where(log["manager"] != no_manager, None))
    history = _typed(history if n else [], HISTORY_COLUMNS)
    return AlertOutputs(alerts, digests, history, first_run)


def _previous_scores(previous: pd.DataFrame | None) -> dict:
    if previous is None or not len(previous) or "risk_score" not in previous:
        return {}
    return dict(zip(previous["customer_id"], previous["risk_score"]))


def _nums(frame: pd.DataFrame, column: str) -> np.ndarray:
    """``_num`` of a column as floats (None -> NaN)."""
    if column not in frame:
        return np.full(len(frame), np.nan)
    return pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def _rhythm(frame: pd.DataFrame, min_gaps: int) -> np.ndarray:
    """``rhythm_days`` of every row (NaN: unknown)."""
    gaps, gap = np.nan_to_num(_nums(frame, "contact_gaps"), nan=0.0), _nums(frame, "contact_gap_days")
    with np.errstate(invalid="ignore"):
        own = ~np.isnan(gap) & (gaps >= min_gaps) & (gap > 0)
    return np.where(own, gap, _nums(frame, "cycle_days"))


def _long_codes(values: np.ndarray, rows: np.ndarray) -> pd.Series:
    """``_codes`` of the selected rows as one long Series (index = row position, codes in order):
    lists / arrays exploded, text split at , and ;."""
    picked = np.flatnonzero(rows)
    s = pd.Series(values[picked], index=picked, dtype=object)
    listed = s.map(type).isin([list, tuple, np.ndarray]).to_numpy()
    items = s[listed].explode()
    items = items[items.notna()].astype(str)
    text = s[~listed & s.notna().to_numpy()]
    text = text.astype(str).str.split(r"[,;]", regex=True).explode().str.strip()
    out = pd.concat([items, text])
    return out[out != ""].sort_index(kind="stable")


def _only(codes: pd.Series, allowed: set, n: int) -> np.ndarray:
    """Per row: every reason code is in ``allowed`` (also when there are none)."""
    other = np.zeros(n, bool)
    other[codes.index[~codes.isin(allowed).to_numpy()]] = True
    return ~other


def _rank_key(entry: dict, r: dict):
    value = entry["value_at_risk"]
    score = entry["risk_score"]
    return (-(value if value is not None else -1.0), -(score if score is not None else -1.0), str(entry["customer_id"]))


def _alert_rows(rows, as_of, cfg, acfg, lang, labels, prev_score, default_route) -> pd.DataFrame:
    template = acfg["message_template"][lang]
    budget = int(acfg["daily_budget_per_manager"])
    by_manager: dict[str, list] = {}
    for item in sorted(rows, key=lambda x: _rank_key(x[0], x[1])):
        by_manager.setdefault(item[0]["manager"], []).append(item)
    out = []
    for manager, items in by_manager.items():
        route = route_for(manager, acfg["routing"], default_route)
        for rank, (entry, r, codes, before, dropped) in enumerate(items, start=1):
            if rank > budget:
                entry["decision"] = OVER_BUDGET
                continue
            reasons = _texts(r.get("reasons")) or _texts(r.get("reasons_text"))
            reasons = reasons[: int(acfg["max_reasons"])]
            # the verdict's one recommended action, unless it answers a silence that is usual for this
            # customer; then the playbooks (config/health.yaml) of the reasons that remain
            action = r.get("recommended_action") if isinstance(r.get("recommended_action"), str) else ""
            dominant = r.get("dominant_reason") if isinstance(r.get("dominant_reason"), str) else None
            playbooks: list[str] = []
            for code in codes:
                text = cfg["playbooks"].get(code)
                if text and text not in playbooks and len(playbooks) < int(acfg["max_playbooks"]):
                    playbooks.append(text)
            if action and (dominant or (codes[0] if codes else None)) not in dropped:
                playbook = action
            else:
                playbook = " ".join(playbooks) or action or "—"
            ps = prev_score.get(entry["customer_id"])
            was = ""
            if before is not None and isinstance(before, str):
                was = f" (было: {labels.get(before, before)})" if lang == "ru" else f" (was: {labels.get(before, before)})"
            name = r.get("full_name") if isinstance(r.get("full_name"), str) and r.get("full_name") else entry["customer_id"]
            contact = _contact(r.get("contact"), acfg)
            message = template.format(
                who=_who(r.get("full_name"), entry["customer_id"], acfg),
                name=name if acfg.get("pii", "mask") == "full" else (mask_person(name) or entry["customer_id"]),
                customer_id=entry["customer_id"],
                manager=manager,
                stage=labels.get(entry["risk_stage"], entry["risk_stage"]), was=was,
                value_at_risk=_money(r.get("value_at_risk")), expected_value=_money(r.get("expected_value")),
                reasons="; ".join(reasons).rstrip(". ") or "—", playbook=playbook.rstrip(". "), contact=contact)
            out.append({
                "customer_id": entry["customer_id"], "as_of": as_of, "full_name": name,
                "manager": None if manager == acfg["no_manager"] else manager,
                "route": route.name, "severity": acfg["severity"][entry["risk_stage"]],
                "risk_stage": entry["risk_stage"], "previous_stage": before,
                "risk_score": entry["risk_score"], "previous_score": _num(ps),
                "health_score": _num(r.get("health_score")), "health_band": r.get("health_band"),
                "value_tier": r.get("value_tier"), "expected_value": _num(r.get("expected_value")),
                "value_at_risk": entry["value_at_risk"], "rank_for_manager": rank,
                "reasons": "; ".join(reasons), "reason_codes": ",".join(codes), "playbook": playbook,
                "recommended_action": action, "contact_channel": r.get("contact_channel"), "contact": r.get("contact"),
                "silence_days": _num(r.get("silence_days")),
                "rhythm_days": rhythm_days(r.get("contact_gap_days"), r.get("contact_gaps"), r.get("cycle_days"),
                                           int(acfg["silence"]["min_rhythm_gaps"])),
                "message": message,
            })
    return _typed(out, ALERT_COLUMNS)


def _digests(log: pd.DataFrame, verdict: pd.DataFrame, as_of, acfg, lang, labels, default_route) -> pd.DataFrame:
    """One digest per manager with customers at risk: counts by stage, value at risk, top-N by value."""
    template = acfg["digest_template"][lang]
    at_risk = log[log["in_risk"]]
    if at_risk.empty:
        return _typed([], DIGEST_COLUMNS)
    extra = verdict.set_index("customer_id")
    out = []
    for manager, g in at_risk.groupby("manager", sort=True):
        g = g.assign(_v=g["value_at_risk"].fillna(-1.0), _s=g["risk_score"].fillna(-1.0))
        g = g.sort_values(["_v", "_s", "customer_id"], ascending=[False, False, True], kind="stable")
        counts = {s: int((g["risk_stage"] == s).sum()) for s in acfg["stage_order"] if (g["risk_stage"] == s).any()}
        top = []
        named = g[g["decision"] == DIGEST]          # not the win-backs nor a silence usual for them
        for cid in named["customer_id"].head(int(acfg["digest_top_n"])):
            r = extra.loc[cid]
            reasons = (_texts(r.get("reasons")) or _texts(r.get("reasons_text")))[:1]
            top.append(f"• {_who(r.get('full_name'), cid, acfg)}: {labels.get(r.get('risk_stage'), r.get('risk_stage'))}, "
                       f"{_money(r.get('value_at_risk'))}" + (f" — {reasons[0]}" if reasons else ""))
        value = float(g["value_at_risk"].fillna(0).sum())
        stages = ", ".join(f"{labels.get(s, s)}: {n}" for s, n in counts.items())
        out.append({
            "as_of": as_of, "manager": None if manager == acfg["no_manager"] else manager,
            "route": route_for(manager, acfg["routing"], default_route).name,
            "customers": len(g), "stage_counts": json.dumps(counts, ensure_ascii=False), "value_at_risk": value,
            "top_customers": "\n".join(top),
            "message": template.format(manager=manager, as_of=str(as_of), customers=len(g), stages=stages,
                                       value_at_risk=_money(value), top="\n".join(top) or "—"),
        })
    return _typed(out, DIGEST_COLUMNS)


def over_budget_counts(history: pd.DataFrame) -> dict[str, int]:
    """Per manager: crossings held back by the daily budget (named in the manager's message)."""
    if history is None or history.empty:
        return {}
    held = history[history["decision"] == OVER_BUDGET]
    return {str(k): int(v) for k, v in held.groupby(held["manager"].fillna(""), sort=True).size().items()}


def messages_by_route(outputs: AlertOutputs, config: dict | None = None,
                      default_route: Route | None = None) -> dict[Route, list[str]]:
    """What to post where: per route, the managers' digests (first run) or alerts in rank order,
    each manager's alerts followed by a note on the crossings the budget held back."""
    cfg = load_health_config(config)
    acfg, lang = cfg["alerts"], cfg["reasons_language"]
    default_route = default_route or Route("default", None)
    held = over_budget_counts(outputs.history)
    out: dict[Route, list[str]] = {}
    for d in outputs.digests.itertuples(index=False):
        out.setdefault(route_for(d.manager, acfg["routing"], default_route), []).append(d.message)
    alerts = outputs.alerts
    for manager, g in alerts.groupby(alerts["manager"].fillna(""), sort=True):
        messages = out.setdefault(route_for(manager or None, acfg["routing"], default_route), [])
        messages.extend(g.sort_values("rank_for_manager")["message"].tolist())
        if held.get(manager):
            label = manager or acfg["no_manager"]
            messages.append(f"{label}: " + acfg["over_budget_note"][lang].format(count=held[manager]))
    return out
