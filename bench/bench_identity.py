"""Identity-resolution benchmark: synthetic records with ground truth -> resolve_identities.

    .venv/bin/python bench/bench_identity.py --records 100000
    .venv/bin/python bench/bench_identity.py --records 1000000 --threads 2

Prints timings (blocking / scoring / clustering / ids), peak RSS and pairwise / B-cubed
accuracy. The generator is vectorised numpy: persons with Russian-style transliterated names,
birth dates, addresses, phones and e-mails; 1-3 CRM contacts per person with noise (typos,
swapped first/last, diminutives, dropped contacts), orders (some with contact ids that have
no contact row), mail, calls, tickets, events; families sharing a home phone; placeholder
contacts on junk phones; namesakes.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ml.identity import evaluate_against_truth, resolve_identities

FIRST_M = {"aleksandr": ["sasha", "shura"], "aleksei": ["lesha"], "andrei": ["andryusha"], "dmitrii": ["dima"],
           "sergei": ["serezha"], "ivan": ["vanya"], "mikhail": ["misha"], "nikolai": ["kolya"],
           "vladimir": ["volodya"], "pavel": ["pasha"], "evgenii": ["zhenya"], "maksim": ["max"],
           "artem": ["tema"], "roman": ["roma"], "oleg": [], "igor": [], "denis": [], "anton": ["antosha"],
           "viktor": ["vitya"], "yurii": ["yura"], "konstantin": ["kostya"], "vadim": [], "stanislav": ["stas"],
           "georgii": ["zhora"], "boris": ["borya"], "timur": [], "kirill": [], "egor": [], "ilya": [],
           "gleb": []}
FIRST_F = {"anna": ["anya"], "elena": ["lena"], "olga": ["olya"], "tatyana": ["tanya"], "natalya": ["natasha"],
           "irina": ["ira"], "svetlana": ["sveta"], "mariya": ["masha"], "ekaterina": ["katya"],
           "yuliya": ["yulya"], "anastasiya": ["nastya"], "darya": ["dasha"], "marina": [], "galina": ["galya"],
           "lyudmila": ["lyuda"], "vera": [], "nadezhda": ["nadya"], "oksana": [], "kseniya": ["ksyusha"],
           "viktoriya": ["vika"], "polina": ["polya"], "alina": [], "sofiya": ["sonya"], "valentina": ["valya"],
           "larisa": [], "zoya": [], "inna": [], "alla": [], "diana": [], "kristina": []}
SYL = ["ko", "va", "le", "mi", "ro", "sa", "ne", "pe", "tro", "ku", "zne", "bo", "gda", "no", "vi", "ch", "sh",
       "ma", "ka", "ra", "li", "de", "gu", "bu", "lo", "ze", "fe", "ty", "kh", "ya", "zo", "mo", "po", "se"]
CITIES = ["moskva", "sankt-peterburg", "kazan", "ekaterinburg", "novosibirsk", "samara", "omsk", "tver",
          "perm", "ufa", "voronezh", "krasnodar", "rostov-na-donu", "chelyabinsk", "tula", "yaroslavl"]
STREETS = ["lenina", "mira", "sovetskaya", "gagarina", "pushkina", "kirova", "tverskaya", "lesnaya", "sadovaya",
           "shkolnaya", "molodezhnaya", "tsentralnaya", "novaya", "naberezhnaya", "zelenaya", "polevaya"]
DOMAINS = ["mail.ru", "gmail.com", "yandex.ru", "bk.ru", "list.ru", "inbox.ru", "rambler.ru"]


def _pick(rng, arr, n, p=None):
    return np.asarray(arr, dtype=object)[rng.choice(len(arr), size=n, p=p)]


def _typo(s: str, r: float) -> str:
    if len(s) < 4:
        return s
    i = 1 + int(r * (len(s) - 2))
    return s[:i] + s[i + 1:] if r < 0.5 else s[:i] + s[i] + s[i:]


def generate(n_records: int, seed: int = 7, contactless_share: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_persons = max(10, int(n_records / 4.0))
    # last names: syllable combinations with a Zipf-like popularity
    n_ln = max(200, n_persons // 40)
    stems = {"".join(rng.choice(SYL, size=rng.integers(2, 4))) for _ in range(n_ln * 2)}
    stems = sorted(stems)[:n_ln]
    stem_p = 1.0 / np.arange(1, len(stems) + 1) ** 0.6
    stem_p /= stem_p.sum()
    male = rng.random(n_persons) < 0.5
    stem = _pick(rng, stems, n_persons, stem_p)
    suffix = np.where(male, "ov", "ova")
    last = pd.Series(stem).str.cat(pd.Series(suffix)).to_numpy()
    fm, ff = list(FIRST_M), list(FIRST_F)
    first = np.where(male, _pick(rng, fm, n_persons), _pick(rng, ff, n_persons))
    middle_root = _pick(rng, fm, n_persons)
    middle = np.where(male, pd.Series(middle_root).str.cat(["ovich"] * n_persons),
                      pd.Series(middle_root).str.cat(["ovna"] * n_persons))
    bd = pd.to_datetime("1950-01-01") + pd.to_timedelta(rng.integers(0, 365 * 55, n_persons), unit="D")
    city = _pick(rng, CITIES, n_persons, None)
    address = (pd.Series(_pick(rng, STREETS, n_persons)).radd("ul ") + " " + pd.Series(
        rng.integers(1, 120, n_persons)).astype(str) + " kv " + pd.Series(rng.integers(1, 300, n_persons)).astype(str))
    postcode = pd.Series(rng.integers(100000, 100000 + max(50, n_persons // 30), n_persons)).astype(str)
    raw = np.unique(rng.integers(9_000_000_000, 9_999_999_999, int(n_persons * 1.1), dtype=np.int64))
    phone = pd.Series(rng.permutation(raw)[:n_persons]).astype(str).radd("+7")
    # families: 6 % of persons share the home phone of the previous person (different first names)
    fam = np.flatnonzero(rng.random(n_persons) < 0.06)
    fam = fam[fam > 0]
    phone.iloc[fam] = phone.iloc[fam - 1].to_numpy()
    has_phone = rng.random(n_persons) < 0.8 * (1 - contactless_share)
    has_email = rng.random(n_persons) < 0.6 * (1 - contactless_share)
    email = (pd.Series(first).str[:1] + "." + pd.Series(last) + pd.Series(rng.integers(1, 999, n_persons)).astype(
        str) + "@" + pd.Series(_pick(rng, DOMAINS, n_persons)))
    person = pd.DataFrame({"pid": np.arange(n_persons), "first": first, "last": last, "middle": middle,
                           "bd": bd.date, "city": city, "address": address, "postcode": postcode,
                           "phone": np.where(has_phone, phone, None), "email": np.where(has_email, email, None),
                           "male": male})

    # CRM contacts: 1 + duplicates (with noise)
    n_crm = rng.choice([1, 2, 3], size=n_persons, p=[0.72, 0.22, 0.06])
    crm = person.loc[person.index.repeat(n_crm)].reset_index(drop=True)
    dup = crm.duplicated("pid").to_numpy()
    m = len(crm)
    crm["contact_id"] = pd.Series(np.arange(m) + 1).astype(str).radd("C")
    u = rng.random((m, 8))
    crm["fkey"] = crm["first"]
    dim_map = {**FIRST_M, **FIRST_F}
    dim_mask = dup & (u[:, 0] < 0.15)
    crm.loc[dim_mask, "fkey"] = [dim_map[f][0] if dim_map[f] else f for f in crm.loc[dim_mask, "first"]]
    typo_mask = dup & (u[:, 1] < 0.2)
    crm.loc[typo_mask, "last"] = [_typo(s, r) for s, r in zip(crm.loc[typo_mask, "last"], u[typo_mask, 2])]
    swap = dup & (u[:, 3] < 0.05)
    crm["lkey"] = crm["last"]
    crm.loc[swap, ["fkey", "lkey"]] = crm.loc[swap, ["lkey", "fkey"]].to_numpy()
    crm.loc[dup & (u[:, 4] < 0.45), "phone"] = None
    crm.loc[dup & (u[:, 5] < 0.45), "email"] = None
    crm.loc[dup & (u[:, 6] < 0.3), "bd"] = None
    crm.loc[dup & (u[:, 7] < 0.3), ["address", "postcode"]] = None
    crm.loc[rng.random(m) < 0.3, "middle"] = None
    canon = {d: f for f, ds in dim_map.items() for d in ds}
    crm["canon"] = crm["fkey"].map(lambda x: canon.get(x, x))
    # placeholder contacts («Клиент») — 2 % of contacts, half of them on one of a few junk phones
    ph = rng.random(m) < 0.02
    crm.loc[ph, ["fkey", "canon", "lkey", "middle", "bd", "address", "postcode"]] = None
    crm["placeholder"] = ph
    junk = ph & (rng.random(m) < 0.5)
    crm.loc[junk, "phone"] = _pick(rng, ["+79000000000", "+79111111111", "+79999999990"], int(junk.sum()))
    crm.loc[junk, "email"] = None
    crm.loc[junk, "pid"] = -1 - np.flatnonzero(junk)  # truth: unknown persons, each its own entity
    crm["ts"] = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 1400, m), unit="D")
    recs = [pd.DataFrame({
        "source": "crm_contact", "source_record_id": crm["contact_id"], "crm_contact_id": crm["contact_id"],
        "phone_e164": crm["phone"], "email_key": crm["email"], "first_name_key": crm["fkey"],
        "last_name_key": crm["lkey"], "middle_name_key": crm["middle"], "first_name_canonical_key": crm["canon"],
        "is_placeholder_name": crm["placeholder"], "birth_date": crm["bd"], "city_key": crm["city"],
        "postcode": crm["postcode"], "address_key": crm["address"], "record_ts": crm["ts"], "pid": crm["pid"]})]
    base = n_records - m
    # orders: carry a contact id of the person (5 % an id without a contact row)
    n_ord = int(base * 0.5)
    oc = rng.integers(0, m, n_ord)
    cid = crm["contact_id"].to_numpy()[oc]
    opid = crm["pid"].to_numpy()[oc]
    ghost = rng.random(n_ord) < 0.05
    ghost_ids = rng.integers(0, max(1, n_ord // 20), n_ord)
    cid = np.where(ghost, pd.Series(ghost_ids).astype(str).radd("X").to_numpy(), cid)
    opid = np.where(ghost, -10_000_000 - ghost_ids, opid)
    recs.append(pd.DataFrame({"source": "order", "source_record_id": pd.Series(np.arange(n_ord)).astype(str).radd(
        "O"), "crm_contact_id": cid, "record_ts": pd.to_datetime("2021-01-01") + pd.to_timedelta(
        rng.integers(0, 1200, n_ord), unit="D"), "pid": opid}))
    # mail / calls / tickets / events from persons with contacts
    rest = n_records - m - n_ord

    def from_persons(k, source, use_email, use_phone, use_contact):
        if use_contact:
            pool = crm[(crm["pid"] >= 0)]
        else:
            pool = person[person["email"].notna()] if use_email else person[person["phone"].notna()]
        if len(pool) == 0:
            return pd.DataFrame({"source": pd.Series(dtype=object), "source_record_id": pd.Series(dtype=object),
                                 "pid": pd.Series(dtype=np.int64)})
        idx = rng.integers(0, len(pool), k)
        sel = pool.iloc[idx]
        df = pd.DataFrame({"source": source, "source_record_id": pd.Series(np.arange(k)).astype(str).radd(
            source[0].upper()), "pid": sel["pid"].to_numpy(),
            "record_ts": pd.to_datetime("2022-01-01") + pd.to_timedelta(rng.integers(0, 900, k), unit="D")})
        if use_email:
            df["email_key"] = sel["email"].to_numpy()
        if use_phone:
            df["phone_e164"] = sel["phone"].to_numpy()
        if use_contact:
            df["crm_contact_id"] = sel["contact_id"].to_numpy()
            df["email_key"] = np.where(rng.random(k) < 0.5, sel["email"].to_numpy(), None)
        return df

    recs.append(from_persons(int(rest * 0.35), "mail", True, False, False))
    recs.append(from_persons(int(rest * 0.35), "call", False, True, False))
    recs.append(from_persons(int(rest * 0.15), "ticket", False, False, True))
    recs.append(from_persons(rest - int(rest * 0.35) * 2 - int(rest * 0.15), "event", False, False, True))
    df = pd.concat(recs, ignore_index=True)
    df["name_key"] = np.where(df["first_name_canonical_key"].notna() & df["last_name_key"].notna(),
                              np.where(df["first_name_canonical_key"].fillna("") < df["last_name_key"].fillna(""),
                                       df["first_name_canonical_key"].fillna("") + " " + df["last_name_key"].fillna(
                                           ""), df["last_name_key"].fillna("") + " " + df[
                                           "first_name_canonical_key"].fillna("")), None)
    df["is_placeholder_name"] = df["is_placeholder_name"].astype("boolean").fillna(False).astype(bool)
    df["first_name"] = df["first_name_key"]
    df["last_name"] = df["last_name_key"]
    df["full_name_clean"] = df["last_name_key"].fillna("") + " " + df["first_name_key"].fillna("")
    df["email"] = df["email_key"]
    df["city"] = df["city_key"]
    df["address"] = df["address_key"]
    return df


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--contactless", type=float, default=0.0, help="share of persons without phone/e-mail")
    ap.add_argument("--no-splink", action="store_true")
    args = ap.parse_args()
    t = time.perf_counter()
    df = generate(args.records, args.seed, args.contactless)
    t_gen = time.perf_counter() - t
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    truth = df[["source", "source_record_id", "pid"]].rename(columns={"pid": "person_id"})
    con.register("_gen", df.drop(columns=["pid"]))
    con.execute("CREATE TABLE records AS SELECT * FROM _gen")
    con.unregister("_gen")
    del df
    cfg = {"splink": {"enabled": not args.no_splink}}
    t = time.perf_counter()
    res = resolve_identities(con, "records", config=cfg, as_of=date(2024, 12, 31), write_to_schema="core")
    wall = time.perf_counter() - t
    tm = res.timings
    ident = con.execute(f"SELECT customer_id, source, source_record_id FROM {res.identity}").df()
    metrics = evaluate_against_truth(ident, truth)
    # second run with the crosswalk: ids must stay put
    t = time.perf_counter()
    res2 = resolve_identities(con, "records", config=cfg, previous_identity=ident, as_of=date(2025, 1, 1),
                              write_to_schema="core2")
    wall2 = time.perf_counter() - t
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    blocking = tm.get("keys", 0) + tm.get("deterministic", 0) + tm.get("splink_blocking_input", 0)
    rows = [
        ("records", f"{res.stats['records']:,}"), ("customers (true entities)",
                                                   f"{res.stats['customers']:,} ({metrics['true_entities']:,})"),
        ("generate s", f"{t_gen:.1f}"),
        ("keys + deterministic graph s (blocking)", f"{blocking:.1f}"),
        ("splink training s", f"{tm.get('splink_training', 0):.1f}"),
        ("splink scoring s", f"{tm.get('splink_scoring', 0):.1f}"),
        ("clustering (merge, rules) s", f"{tm.get('clustering', 0):.1f}"),
        ("ids s", f"{tm.get('ids', 0):.1f}"), ("outputs (golden, review) s", f"{tm.get('outputs', 0):.1f}"),
        ("resolve_identities wall s", f"{wall:.1f}"), ("rerun with crosswalk wall s", f"{wall2:.1f}"),
        ("rerun records_id_changed", f"{res2.stats['records_id_changed']}"),
        ("peak RSS GB", f"{peak_gb:.2f}"),
        ("splink input rows / pairs scored",
         f"{res.stats.get('splink_input_rows', 0):,} / {res.stats.get('splink_pairs_scored', 0):,}"),
        ("hub keys", f"{res.stats['hub_keys']:,}"), ("review pairs", f"{res.stats['review_pairs']:,}"),
        ("pairwise precision", f"{metrics['pairwise_precision']:.4f}"),
        ("pairwise recall", f"{metrics['pairwise_recall']:.4f}"),
        ("pairwise F1", f"{metrics['pairwise_f1']:.4f}"), ("B-cubed F1", f"{metrics['bcubed_f1']:.4f}"),
        ("exact cluster share", f"{metrics['exact_cluster_share']:.4f}"),
        ("over-merged clusters / under-merged entities",
         f"{metrics['over_merged_clusters']:,} / {metrics['under_merged_entities']:,}"),
    ]
    w = max(len(k) for k, _ in rows)
    print(f"{'metric':<{w}} | value")
    print("-" * (w + 20))
    for k, v in rows:
        print(f"{k:<{w}} | {v}")
    print("match rules:", res.stats["match_rules"])


if __name__ == "__main__":
    main()
