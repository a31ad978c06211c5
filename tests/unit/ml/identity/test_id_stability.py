"""The customer-id stability rule behind the `customer_ids_stable` check."""

from ml.identity.stable_ids import id_stability

CFG = {"ids": {"max_changed_share": 0.02}}


def test_first_run_and_small_changes_pass_large_changes_warn():
    assert id_stability({}, 0, CFG)["passed"] is True
    small = id_stability({"records_id_changed": 2, "ids_merged": 1}, 100, CFG)
    assert small["passed"] is True and small["changed_share"] == 0.02 and small["ids_merged"] == 1
    large = id_stability({"records_id_changed": 3}, 100, CFG)
    assert large["passed"] is False and large["max_changed_share"] == 0.02
