"""Identity resolution on data shapes the probabilistic model cannot fully train on: each fallback
on the smallest input that triggers it, and the method it reports."""

from __future__ import annotations

from datetime import date
from itertools import product

import pytest

from ml.identity import resolve_identities
from sample_data.identity_records import load, rec

FIRST = ["ivan", "petr", "sergei", "oleg", "pavel", "anna", "olga", "irina", "elena", "mariya",
         "nikolai", "boris", "denis", "igor", "yurii", "tatiana", "svetlana", "natalia", "kseniia", "vera"]
LAST = ["petrov", "sidorov", "orlov", "popov", "volkov", "zaitsev", "sokolov", "lebedev", "kozlov", "novikov",
        "morozov", "pavlov", "semenov", "golubev", "vinogradov", "bogdanov", "vorobev", "fedorov", "mikhailov",
        "belyaev"]


def names(n: int) -> list[tuple[str, str]]:
    out = list(product(FIRST, LAST))
    assert n <= len(out)
    return out[:n]


def run(con, rows, **config):
    load(con, rows)
    return resolve_identities(con, "records", config={"splink": config} if config else None, as_of=date(2024, 7, 1))


def test_names_phones_emails_only_use_the_configured_prior(con):
    """Three-export Russian base: names, phones, e-mails; no birth date or address for the prior."""
    rows = []
    for i, (first, last) in enumerate(names(130)):
        phone = f"+7916{i:07d}"
        rows.append(rec("crm_contact", f"A{i}", phone=phone, first=first, last=last))
        # the same person in another export: other contact point, or the phone with one typo
        other = {"phone": f"+7926{i:07d}"} if i % 10 else {"phone": phone[:-1] + str((int(phone[-1]) + 1) % 10)}
        rows.append(rec("crm_contact", f"B{i}", email=f"{last}{i}@mail.ru" if i % 10 else None,
                        first=first, last=last, **other))
    res = run(con, rows)
    s = res.stats
    assert s["splink_method"] == "splink_config_prior"
    assert s["splink_prior_source"] == "fallback" and s["splink_prior"] == pytest.approx(1e-5)
    assert any("prior" in r for r in s["splink_fallbacks"])
    # EM still trained on the name block; empty columns are gone from the model
    assert "l.first_name_key = r.first_name_key AND l.last_name_key = r.last_name_key" in s["splink_em_blocks"]
    assert set(s["splink_comparisons"]) == {"name", "phone"}
    assert {"birth_date", "national_id", "street", "postcode", "city"} <= set(s["splink_dropped"]["comparisons"])
    ident = res.frame("identity")
    assert len(ident) == len(rows)
    assert "splink" not in set(ident["match_rule"])
    assert ident["match_rule"].eq("splink_config_prior").sum() > 0  # the phone-typo duplicates


def test_no_training_block_with_pairs_uses_configured_m(con):
    rows = [rec("crm_contact", f"C{i}", first=f, last=lst, city="moskva", bd=f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}")
            for i, (f, lst) in enumerate(names(220))]
    # one duplicate: a typo in the last name, same birth date and city
    rows.append(rec("crm_contact", "DUP", first="ivan", last="petrof", city="moskva", bd="1950-01-10"))
    res = run(con, rows, em_training_blocks=["l.first_name_key = r.first_name_key AND l.last_name_key = r.last_name_key",
                                             "l.phone_e164 = r.phone_e164"])
    s = res.stats
    assert s["splink_method"] == "splink_config_m" and s["splink_em_blocks"] == []
    assert any("no EM training block" in r for r in s["splink_fallbacks"])
    assert s["splink_prior_source"] == "fallback"  # no exact name + birth date pair either
    ident = res.frame("identity").set_index("source_record_id")
    assert ident.loc["DUP", "customer_id"] == ident.loc["C0", "customer_id"]
    assert ident.loc["DUP", "match_rule"] == "splink_config_m"


def test_too_few_records_train_nothing(con):
    rows = [rec("crm_contact", "C1", first="ivan", last="petrov", bd="1980-01-01", city="moskva"),
            rec("crm_contact", "C2", first="ivan", last="petrov", bd="1980-01-01", city="moskva"),
            rec("crm_contact", "C3", first="olga", last="sokolova", bd="1990-05-05")]
    res = run(con, rows)
    s = res.stats
    assert s["splink_method"] == "splink_config_m" and s["splink_prior_source"] == "fallback"
    assert any("min_records_for_training" in r for r in s["splink_fallbacks"])
    ident = res.frame("identity").set_index("source_record_id")
    assert ident.loc["C1", "customer_id"] == ident.loc["C2", "customer_id"] != ident.loc["C3", "customer_id"]


def test_first_names_only_fall_back_to_deterministic_matching(con):
    rows = [rec("crm_contact", f"C{i}", first=f) for i, f in enumerate(["ivan", "ivan", "olga", "anna"])]
    rows.append(rec("crm_contact", "C9", first="ivan", phone="+79161234567"))
    rows.append(rec("call", "K1", phone="+79161234567"))
    res = run(con, rows)
    s = res.stats
    assert s["splink_method"] == "deterministic_only"
    assert any("no blocking rule has data" in r for r in s["splink_fallbacks"])
    ident = res.frame("identity").set_index("source_record_id")
    assert ident.loc["K1", "customer_id"] == ident.loc["C9", "customer_id"]
    assert set(ident["match_rule"]) <= {"phone", "singleton"}


def test_a_single_named_record_skips_the_model(con):
    rows = [rec("crm_contact", "C1", first="ivan", last="petrov", phone="+79161234567"),
            rec("order", "O1", contact="C1"), rec("call", "K1", phone="+79161234567")]
    res = run(con, rows)
    assert res.stats["splink_method"] == "deterministic_only"
    assert res.frame("identity")["customer_id"].nunique() == 1


def _typo_base() -> list[dict]:
    rows = []
    for i, (first, last) in enumerate(names(240)):
        rows.append(rec("crm_contact", f"A{i}", first=first, last=last, bd=f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}",
                        phone=f"+7916{i:07d}"))
        if i % 4 == 0:  # a typo in the surname: same birth date
            rows.append(rec("crm_contact", f"B{i}", first=first, last=last + "a",
                            bd=f"19{50 + i % 40}-0{1 + i % 9}-1{i % 10}", email=f"x{i}@mail.ru"))
        if i % 4 == 1:  # moved: same name, another city
            rows.append(rec("crm_contact", f"B{i}", first=first, last=last, city="tver", email=f"y{i}@mail.ru"))
    return rows


def test_an_em_block_splink_cannot_finish_is_skipped_and_the_model_restored(con, monkeypatch):
    """Splink refuses an m that EM drove below 1e-300 in the middle of a session; the session's
    half-edited model must not be used (its comparisons would be missing)."""
    from splink.internals.linker_components.training import LinkerTraining

    real = LinkerTraining.estimate_parameters_using_expectation_maximisation
    bad = "l.birth_date_key = r.birth_date_key"

    def em(self, block, **kw):
        if block == bad:
            self._linker._settings_obj.comparisons.pop(0)  # what a session does before it fails
            raise ValueError("m_probability value 1e-317 is below the minimum allowed value of 1e-300.")
        return real(self, block, **kw)

    monkeypatch.setattr(LinkerTraining, "estimate_parameters_using_expectation_maximisation", em)
    res = run(con, _typo_base())
    s = res.stats
    assert bad not in s["splink_em_blocks"] and s["splink_em_blocks"]
    assert any("underflowed" in r and bad in r for r in s["splink_fallbacks"])
    assert s["splink_method"] != "splink_config_m"  # the other block still trained m
    assert {c["output_column_name"] for c in res.splink_model["comparisons"]} >= {"name", "birth_date"}
    # the restored model still scores with every comparison
    assert {"mw_name", "mw_birth_date"} <= set(res.frame("review_pairs").columns)


def test_other_errors_in_training_still_fail(con, monkeypatch):
    from splink.internals.linker_components.training import LinkerTraining

    def em(self, block, **kw):
        raise ValueError("a genuine bug")

    monkeypatch.setattr(LinkerTraining, "estimate_parameters_using_expectation_maximisation", em)
    with pytest.raises(ValueError, match="genuine bug"):
        run(con, _typo_base())


def test_em_sampling_only_beyond_the_cap():
    from ml.identity.probabilistic import em_sampling

    assert em_sampling(3_000_000, 3_000_000) == {}
    got = em_sampling(300_000_000, 3_000_000)
    assert got["max_pairs"] == 3_000_000 and got["record_sample_proportion"] == pytest.approx(0.1)


def test_a_block_beyond_em_max_pairs_trains_on_a_sample_and_still_links(con, monkeypatch):
    """A block with more pairs than `em_max_pairs` trains on Splink's hash sample of about that many
    pairs; the model still trains and gives the same customers and uncertain pairs."""
    from splink.internals.linker_components.training import LinkerTraining

    real = LinkerTraining.estimate_parameters_using_expectation_maximisation
    seen: dict[str, dict] = {}

    def em(self, block, **kw):
        seen[block] = kw
        return real(self, block, **kw)

    monkeypatch.setattr(LinkerTraining, "estimate_parameters_using_expectation_maximisation", em)
    full = run(con, _typo_base())
    seen_full = dict(seen)
    seen.clear()
    res = run(con, _typo_base(), em_max_pairs=50)
    assert seen_full and all(kw == {} for kw in seen_full.values())
    sampled = [b for b, kw in seen.items() if kw]
    assert sampled and all(seen[b]["max_pairs"] == 50 for b in sampled)
    assert res.stats["splink_trained"] and res.stats["splink_method"] != "splink_config_m"
    assert res.stats["customers"] == full.stats["customers"]

    def pairs(r):
        review = r.frame("review_pairs")
        return set(zip(review["left_source_record_id"], review["right_source_record_id"]))

    assert len(pairs(res) & pairs(full)) >= 0.9 * len(pairs(full)) > 0
