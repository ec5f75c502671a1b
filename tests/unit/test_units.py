import pytest

from tokenfab import units


def test_decimal_and_binary_bytes_differ():
    assert units.gb_to_bytes(80) == 80e9
    assert units.gib_to_bytes(192) == pytest.approx(206.158e9, rel=1e-5)  # Ironwood's 192 GiB
    assert units.bytes_to_gib(units.gb_to_bytes(1)) == pytest.approx(0.931323, rel=1e-6)


def test_network_rates():
    assert units.gbit_per_s_to_bytes_per_s(400) == 50e9  # one NDR NIC


def test_energy():
    assert units.kwh_to_j(1) == 3.6e6
    assert units.j_to_kwh(7.2e6) == 2


def test_format():
    assert units.format_bytes(80e9) == "80 GB"
    assert units.format_si(1.979e15, "FLOP/s") == "1.979 PFLOP/s"
    assert units.format_bytes(None) == "-"
