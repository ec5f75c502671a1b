"""Malformed and partial FOCUS files: one line naming the column (and the file and row)."""

from __future__ import annotations

import pytest

from tests.conftest import FIXTURES, assert_one_line_error, cli
from tokenfab import InputError, bill_summary, read_bill

F = FIXTURES / "focus"
HEAD = "BilledCost,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,ProviderName\n"
OK = "1.00,1.00,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,AWS\n"


def _write(tmp_path, text, name="bill.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_spec_example_with_an_impossible_hour_names_column_file_and_row():
    # FOCUS_Spec's own commitment_discount_purchase_scenario_2.csv: its third row ends at
    # "2023-02-01T30:00:00Z" (hour 30)
    with pytest.raises(InputError) as e:
        bill_summary(F / "spec12_commitment_purchase_2.csv")
    msg = str(e.value)
    assert "spec12_commitment_purchase_2.csv row 3" in msg and "ChargePeriodEnd" in msg and "T30:00:00Z" in msg


def test_missing_required_column(tmp_path):
    p = _write(tmp_path, "EffectiveCost,ChargePeriodStart,ChargePeriodEnd\n1,2026-01-01,2026-01-02\n")
    with pytest.raises(InputError, match="missing required FOCUS column 'BilledCost'"):
        bill_summary(p)


def test_bad_number_names_row(tmp_path):
    p = _write(tmp_path, HEAD + OK + OK + "12,5x,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,AWS\n")
    with pytest.raises(InputError) as e:
        bill_summary(p)
    assert "bill.csv row 3: EffectiveCost = '5x' is not a finite number" in str(e.value)


def test_non_finite_number_refused(tmp_path):
    p = _write(tmp_path, HEAD + OK + "inf,1,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,AWS\n")
    with pytest.raises(InputError, match=r"row 2: BilledCost = 'inf' is not a finite number"):
        bill_summary(p)


def test_empty_required_value_names_row(tmp_path):
    p = _write(tmp_path, HEAD + OK + OK + OK + ",1,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,AWS\n")
    with pytest.raises(InputError, match="row 4: required column BilledCost is empty"):
        bill_summary(p)


def test_truncated_file_and_unknown_suffix_and_missing_path(tmp_path):
    p = _write(tmp_path, HEAD + OK + '1.00,1.00,"2026-01-01T00:00')  # cut mid-row, open quote
    with pytest.raises(InputError):
        bill_summary(p)
    with pytest.raises(InputError, match="use a .csv"):
        bill_summary(_write(tmp_path, HEAD + OK, "bill.xlsx"))
    with pytest.raises(InputError, match="no such file"):
        bill_summary(tmp_path / "nope.csv")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no .csv"):
        bill_summary(tmp_path / "empty")


def test_folder_gzip_and_parquet_read_together(tmp_path):
    import duckdb

    folder = tmp_path / "exports"
    folder.mkdir()
    _write(folder, HEAD + OK + OK, "a.csv")  # 2 x 1.00
    con = duckdb.connect()
    con.execute(f"COPY (SELECT 2.5 AS BilledCost, 2.5 AS EffectiveCost, TIMESTAMP '2026-01-01' AS ChargePeriodStart, "
                f"TIMESTAMP '2026-01-03' AS ChargePeriodEnd, 'Scaleway' AS ServiceProviderName, 'fr-par' AS RegionId) "
                f"TO '{folder / 'b.parquet'}' (FORMAT parquet)")
    s = bill_summary(folder)
    assert s.rows == 3 and s.billed_usd == pytest.approx(1.00 + 1.00 + 2.5)
    assert s.days == pytest.approx(2.0)  # 2026-01-01 to 2026-01-03
    df = read_bill(folder)
    assert len(df) == 3 and "ServiceProviderName" in df.columns
    assert sorted(df["ServiceProviderName"]) == ["AWS", "AWS", "Scaleway"]  # ProviderName (1.0-1.2) mapped


def test_cli_bad_file_is_one_error_line(tmp_path):
    p = _write(tmp_path, HEAD + OK + "1,1,2026-13-01,2026-01-02,AWS\n")
    assert_one_line_error(cli("bill", str(p)), "row 2", "ChargePeriodStart", code=2)
    assert_one_line_error(cli("bill", str(tmp_path / "missing.csv")), "no such file", code=2)
    assert_one_line_error(cli("bill", str(F / "tokenfab_genai_focus12.csv"), "--by", "planet"), "--by", code=2)
    assert_one_line_error(cli("bill", str(F / "tokenfab_genai_focus12.csv"), "--peak-to-mean", "0.5"), "peak_to_mean",
                          code=2)


def test_row_number_is_exact_deep_in_a_large_file(tmp_path):
    # 300,000 good rows, then a bad one: data row 300,001 (DuckDB scans this in parallel chunks)
    good = "1.00,1.00,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,AWS\n"
    bad = "1.00,oops,2026-01-01T00:00:00Z,2026-01-02T00:00:00Z,AWS\n"
    p = _write(tmp_path, HEAD + good * 300_000 + bad + good * 1000)
    with pytest.raises(InputError, match=r"row 300001: EffectiveCost = 'oops'"):
        bill_summary(p)


def test_a_euro_bill_is_converted_at_the_catalog_rate(tmp_path):
    import csv as _csv

    from tokenfab.catalog.loader import bundled_dir

    p = _write(tmp_path, "BilledCost,ChargePeriodStart,ChargePeriodEnd,BillingCurrency,ProviderName,RegionId\n"
                         "10,2026-01-01,2026-01-31,eur,Scaleway,fr-par\n")
    rows = [r for r in _csv.DictReader(ln for ln in (bundled_dir() / "fx_rates.csv").open(encoding="utf-8")
                                        if not ln.startswith("#")) if r["currency"] == "EUR"]
    newest = max(rows, key=lambda r: r["rate_date"])
    s = bill_summary(p)
    assert s.billed_usd == pytest.approx(10 * float(newest["usd_per_unit"]))  # 10 EUR x the newest EUR rate
    assert "EUR" in s.fx_note and s.exposure.eu_usd == pytest.approx(s.billed_usd)


def test_header_only_bill_is_empty_not_an_error(tmp_path):
    s = bill_summary(_write(tmp_path, HEAD))
    assert s.rows == 0 and s.billed_usd == 0 and s.days is None and s.tokens == ()
