"""Alerts: customers who crossed into risk today, with reasons and playbooks (config/health.yaml)."""
from __future__ import annotations

import pandas as pd

from .health import BAND_RANK, load_health_config

ALERT_COLUMNS = ["customer_id", "as_of", "severity", "health_score", "previous_score", "health_band",
                 "previous_band", "reasons", "reason_codes", "playbook", "message"]


def build_alerts(
    scores_today: pd.DataFrame,
    scores_previous: pd.DataFrame | None,
    factors: pd.DataFrame | None,
    config: dict | None = None,
    customer_names: dict | None = None,
) -> pd.DataFrame:
    """One alert per customer whose band is at least ``alerts.min_band`` today and
    either worse than in the previous snapshot or who is new (absent from it).

    reasons: human-readable factor texts (largest points first); playbook: the playbook text of
    each of the top ``alerts.max_playbooks`` reason codes, one per line; message: ready to post.
    """
    cfg = load_health_config(config)
    acfg = cfg["alerts"]
    lang = cfg["reasons_language"]
    min_rank = BAND_RANK[acfg["min_band"]]
    prev_band, prev_score = {}, {}
    if scores_previous is not None and not scores_previous.empty:
        prev_band = dict(zip(scores_previous["customer_id"], scores_previous["health_band"]))
        prev_score = dict(zip(scores_previous["customer_id"], scores_previous["health_score"]))
    by_customer: dict = {}
    if factors is not None and not factors.empty:
        f = factors.sort_values(["customer_id", "points"], ascending=[True, False], kind="stable")
        for cid, g in f.groupby("customer_id", sort=False):
            by_customer[cid] = g
    template = acfg["message_template"][lang]
    rows = []
    for r in scores_today.itertuples(index=False):
        rank = BAND_RANK[r.health_band]
        if rank < min_rank:
            continue
        pb = prev_band.get(r.customer_id)
        if pb is not None and BAND_RANK.get(pb, 0) >= rank:
            continue
        g = by_customer.get(r.customer_id)
        codes = list(g["factor"]) if g is not None else []
        texts = list(g["reason"]) if g is not None and "reason" in g else codes
        playbooks = []
        for code in codes:
            text = cfg["playbooks"].get(code)
            if text and text not in playbooks:
                playbooks.append(text)
            if len(playbooks) >= int(acfg["max_playbooks"]):
                break
        reasons = " + ".join(texts) if texts else str(r.top_reasons or "")
        ps = prev_score.get(r.customer_id)
        was = "" if ps is None or pd.isna(ps) else (f", было {ps:.0f}" if lang == "ru" else f", was {ps:.0f}")
        name = (customer_names or {}).get(r.customer_id, r.customer_id)
        message = template.format(customer=name, band=r.health_band, health=r.health_score, was=was,
                                  reasons=reasons, playbook=" ".join(playbooks) or "—")
        rows.append({
            "customer_id": r.customer_id, "as_of": r.as_of,
            "severity": acfg["severity"].get(r.health_band, r.health_band),
            "health_score": r.health_score, "previous_score": ps, "health_band": r.health_band,
            "previous_band": pb, "reasons": reasons, "reason_codes": ",".join(codes),
            "playbook": "\n".join(playbooks), "message": message,
        })
    out = pd.DataFrame(rows, columns=ALERT_COLUMNS)
    if not out.empty:
        out = out.sort_values(["health_score", "customer_id"], kind="stable").reset_index(drop=True)
    return out
