"""Bad-input matrix for files and formats (issue 15, part 1): each case is a named regression
test.  The CLI runs in-process through ``zkgate.cli.main`` (what the console script runs), so
exit codes and messages are the user's: 2 and the file named for malformed input, never a
traceback, a hang or a huge allocation."""

from __future__ import annotations

import json
import struct
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent.parent / "fuzz"))

from samples import samples_in  # noqa: E402


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return samples_in(tmp_path_factory.mktemp("bad-files"))


def zkgate(monkeypatch, capsys, *args) -> tuple[int, str]:
    """Run the zkgate CLI in-process; (exit code, stdout + stderr)."""
    from zkgate.cli import main

    monkeypatch.setattr(sys, "argv", ["zkgate", *map(str, args)])
    with pytest.raises(SystemExit) as exited:
        main()
    out = capsys.readouterr()
    text = out.out + out.err
    assert "Traceback" not in text
    return exited.value.code, text


def _section_offset(data: bytes, wanted: int) -> int:
    """Offset of the payload of the first section ``wanted`` of a container."""
    (count,) = struct.unpack_from("<I", data, 8)
    offset = 12
    for _ in range(count):
        section_id, size = struct.unpack_from("<IQ", data, offset)
        if section_id == wanted:
            return offset + 12
        offset += 12 + size
    raise AssertionError(f"no section {wanted}")


def _patch(data: bytes, offset: int, fmt: str, *values) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, *values)
    return bytes(out)


# 1. counts checked against the bytes that remain, before allocating --------------------------

def test_r1cs_huge_constraint_count_is_refused_before_allocating(samples, tmp_path, monkeypatch, capsys):
    data = samples.r1cs.read_bytes()
    bad = tmp_path / "huge.r1cs"
    bad.write_bytes(_patch(data, _section_offset(data, 1) + 60, "<I", 2 ** 32 - 16))
    code, text = zkgate(monkeypatch, capsys, "r1cs", "info", bad)
    assert code == 2 and str(bad) in text and "nConstraints" in text


def test_wtns_count_beyond_the_file_is_refused(samples, tmp_path, monkeypatch, capsys):
    data = samples.wtns.read_bytes()
    bad = tmp_path / "huge.wtns"
    bad.write_bytes(_patch(data, _section_offset(data, 1) + 36, "<I", 2 ** 32 - 1))
    code, text = zkgate(monkeypatch, capsys, "wtns", "check", samples.r1cs, bad)
    assert code == 2 and str(bad) in text


def test_zkey_huge_counts_are_refused(samples, tmp_path, monkeypatch, capsys):
    data = samples.zkey.read_bytes()
    header = _section_offset(data, 2)
    for offset, name in ((72, "nVars"), (76, "nPublic"), (80, "domainSize")):
        bad = tmp_path / f"huge-{name}.zkey"
        bad.write_bytes(_patch(data, header + offset, "<I", 2 ** 31))
        code, text = zkgate(monkeypatch, capsys, "zkey", "info", bad)
        assert code == 2 and str(bad) in text, name
    bad = tmp_path / "huge-records.zkey"
    bad.write_bytes(_patch(data, _section_offset(data, 10) + 64, "<I", 2 ** 32 - 1))
    from zkgate.errors import FormatError
    from zkgate.prover.formats.zkey import read_zkey
    from zkgate.prover.formats.zkey_records import decode_mpc_params

    with pytest.raises(FormatError, match="contribution count"):
        decode_mpc_params(read_zkey(bad).contributions, str(bad))


def test_ptau_record_count_beyond_the_file_is_refused(samples, tmp_path, monkeypatch, capsys):
    data = samples.ptau_raw.read_bytes()
    bad = tmp_path / "records.ptau"
    bad.write_bytes(_patch(data, _section_offset(data, 7), "<I", 2 ** 32 - 1))
    started = time.monotonic()
    code, text = zkgate(monkeypatch, capsys, "powersoftau", "verify", bad)
    assert code == 2 and str(bad) in text and "contribution count" in text
    assert time.monotonic() - started < 5


# 2. header fields range-checked -----------------------------------------------------------------

@pytest.mark.parametrize("field,offset,value", [
    ("ceremonyPower", 40, 2 ** 32 - 1), ("ceremonyPower", 40, 29), ("ceremonyPower", 40, 1),
    ("power", 36, 0), ("power", 36, 2 ** 32 - 1), ("power", 36, 3),
])
def test_ptau_power_fields_are_range_checked(samples, tmp_path, monkeypatch, capsys, field, offset, value):
    data = samples.ptau_raw.read_bytes()
    bad = tmp_path / f"{field}-{value}.ptau"
    bad.write_bytes(_patch(data, _section_offset(data, 1) + offset, "<I", value))
    started = time.monotonic()
    code, text = zkgate(monkeypatch, capsys, "powersoftau", "verify", bad)
    assert time.monotonic() - started < 5  # was > 20 minutes for ceremonyPower = 2^32 - 1
    assert code == 2 and str(bad) in text and "section" in text


def test_ptau_prepared_sections_must_match_the_power(samples, tmp_path, monkeypatch, capsys):
    data = samples.ptau.read_bytes()
    start = _section_offset(data, 13)
    bad = tmp_path / "short-lagrange.ptau"
    # shrink section 13 by one G2 point: its size field, and the bytes
    size = struct.unpack_from("<Q", data, start - 8)[0]
    bad.write_bytes(_patch(data[: start + size - 128] + data[start + size:], start - 8, "<Q", size - 128))
    code, text = zkgate(monkeypatch, capsys, "powersoftau", "verify", bad)
    assert code == 2 and str(bad) in text and "section 13" in text


# 3. groth16 setup checks the points it uses ------------------------------------------------------

def _off_curve_row() -> bytes:
    """A Montgomery-form G1 row (x, y) = (1, 1): 1 != 1 + 3, not on y^2 = x^3 + 3."""
    from zkgate.prover.formats.curve_points import fq_to_mont_bytes

    return fq_to_mont_bytes(1) + fq_to_mont_bytes(1)


def _domain(samples) -> int:
    from zkgate.circuits.r1csfile import read_r1cs
    from zkgate.prover.groth16.setup import circuit_power

    r1cs = read_r1cs(samples.r1cs)
    return 1 << circuit_power(r1cs.n_constraints, r1cs.n_public)


@pytest.mark.parametrize("section,index", [(2, 1), (12, "d"), (12, "2d+1"), (14, "d+1"), (4, 0)])
def test_setup_refuses_a_ptau_point_off_the_curve(samples, tmp_path, monkeypatch, capsys, section, index):
    d = _domain(samples)  # the basis of size d starts at point d - 1, that of size 2d at 2d - 1
    index = {"d": d - 1, "2d+1": 2 * d, "d+1": d}.get(index, index)
    data = bytearray(samples.ptau.read_bytes())
    at = _section_offset(bytes(data), section) + 64 * index
    data[at:at + 64] = _off_curve_row()
    bad = tmp_path / f"off-curve-{section}-{index}.ptau"
    bad.write_bytes(bytes(data))
    out = tmp_path / "out.zkey"
    code, text = zkgate(monkeypatch, capsys, "groth16", "setup", samples.r1cs, bad, out)
    assert code == 2 and str(bad) in text and f"section {section}" in text and "not on the curve" in text


def test_setup_refuses_beta_g2_outside_the_subgroup(samples, tmp_path, monkeypatch, capsys):
    from zkgate.bn254.arrays import G2Affine
    from zkgate.bn254.curve import G2
    from zkgate.bn254.fields import fq2_add, fq2_mul, fq2_sqr, fq2_sqrt

    # a point of the twist curve outside the order-r subgroup (almost every point is: cofactor ~ 2^254)
    point = None
    for x0 in range(1, 100):
        x = (x0, 1)
        y = fq2_sqrt(fq2_add(fq2_mul(fq2_sqr(x), x), G2.b))
        if y is not None:
            point = (x, y)
            break
    assert point is not None and G2.is_on_curve(point)
    rows = G2Affine.from_ints([point])
    assert not rows.in_subgroup().all()
    data = bytearray(samples.ptau.read_bytes())
    at = _section_offset(bytes(data), 6)
    data[at:at + 128] = rows.to_bytes()
    bad = tmp_path / "beta-g2.ptau"
    bad.write_bytes(bytes(data))
    code, text = zkgate(monkeypatch, capsys, "groth16", "setup", samples.r1cs, bad, tmp_path / "out.zkey")
    assert code == 2 and str(bad) in text and "subgroup" in text


def test_setup_from_a_valid_ptau_still_works(samples, tmp_path, monkeypatch, capsys):
    code, text = zkgate(monkeypatch, capsys, "groth16", "setup", samples.r1cs, samples.ptau, tmp_path / "ok.zkey")
    assert code in (0, None), text


# 4. a witness value >= r --------------------------------------------------------------------------

def test_witness_value_not_below_r_names_the_file_and_exits_2(samples, tmp_path, monkeypatch, capsys):
    from zkgate.circuits.field import R

    data = bytearray(samples.wtns.read_bytes())
    at = _section_offset(bytes(data), 2) + 32 * 2
    data[at:at + 32] = (R + 5).to_bytes(32, "little")
    bad = tmp_path / "big.wtns"
    bad.write_bytes(bytes(data))
    code, text = zkgate(monkeypatch, capsys, "wtns", "check", samples.r1cs, bad)
    assert code == 2 and str(bad) in text and "value 2" in text and "not below" in text
    code, text = zkgate(monkeypatch, capsys, "groth16", "prove", samples.zkey, bad, tmp_path / "p.json",
                        tmp_path / "q.json")
    assert code == 2 and str(bad) in text


def test_witness_of_another_circuit_exits_2(samples, tmp_path, monkeypatch, capsys):
    from zkgate.circuits.wtnsfile import write_wtns

    other = tmp_path / "short.wtns"
    write_wtns([1, 2, 3], other)
    code, text = zkgate(monkeypatch, capsys, "wtns", "check", samples.r1cs, other)
    assert code == 2 and str(other) in text


# 5. decimal strings are ASCII [0-9]+ ----------------------------------------------------------------

def _rewrite_json(path: Path, target: Path, edit) -> Path:
    data = json.loads(path.read_text())
    edit(data)
    target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return target


def test_verify_refuses_devanagari_public_input(samples, tmp_path, monkeypatch, capsys):
    def to_devanagari(values):
        digits = "०१२३४५६७८९"
        values[0] = "".join(digits[int(c)] for c in values[0])

    bad = _rewrite_json(samples.public_json, tmp_path / "public.json", to_devanagari)
    code, text = zkgate(monkeypatch, capsys, "groth16", "verify", samples.vk_json, bad, samples.proof_json)
    assert code == 2 and str(bad) in text and "ASCII" in text
    code, _ = zkgate(monkeypatch, capsys, "groth16", "verify", samples.vk_json, samples.public_json,
                     samples.proof_json)
    assert code == 0


@pytest.mark.parametrize("text", ["१०५", "+5", "1_0", " 7", "0x1f", "٣"])
def test_proof_coordinates_must_be_ascii_decimal(samples, tmp_path, monkeypatch, capsys, text):
    def edit(proof):
        proof["pi_a"][2] = text

    bad = _rewrite_json(samples.proof_json, tmp_path / "proof.json", edit)
    code, out = zkgate(monkeypatch, capsys, "groth16", "verify", samples.vk_json, samples.public_json, bad)
    assert code == 2 and str(bad) in out
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "x.proof.json").write_text(bad.read_text(encoding="utf-8"), encoding="utf-8")
    (batch / "x.public.json").write_text(samples.public_json.read_text())
    code, out = zkgate(monkeypatch, capsys, "groth16", "verify-batch", samples.vk_json, batch)
    assert code == 2 and "x.proof.json" in out


def test_vk_decimal_strings_must_be_ascii(samples, tmp_path, monkeypatch, capsys):
    def edit(vk):
        vk["IC"][0][0] = "१" + vk["IC"][0][0][1:]

    bad = _rewrite_json(samples.vk_json, tmp_path / "vk.json", edit)
    code, out = zkgate(monkeypatch, capsys, "groth16", "verify", bad, samples.public_json, samples.proof_json)
    assert code == 2 and str(bad) in out


def test_circuit_inputs_as_text_are_ascii_decimal_or_hex():
    from zkgate.circuits.errors import CircuitInputError
    from zkgate.circuits.field import to_field

    assert to_field("105") == 105 and to_field("0x69") == 105
    for text in ("१०५", "1_05", "0b1", "0o7", "+5", "", "1e3"):
        with pytest.raises(CircuitInputError):
            to_field(text)


def test_study_request_options_are_ascii_integers():
    from zkgate.services.parties.study_request import (
        StudyRequestError,
        parse_duration,
        parse_equals_option,
        parse_range_option,
    )

    assert parse_range_option("age:40:65").lo == 40
    for bad in ("age:४०:65", "age:1_0:65"):
        with pytest.raises(StudyRequestError):
            parse_range_option(bad)
    with pytest.raises(StudyRequestError):
        parse_equals_option("sex:١")
    with pytest.raises(StudyRequestError):
        parse_duration("٣h", "--deadline-in")


# 6. deep nesting and huge numbers ------------------------------------------------------------------

@pytest.mark.parametrize("which", ["vk", "public", "proof"])
@pytest.mark.parametrize("content", ["[" * 100_000 + "]" * 100_000, "[" + "9" * 5000 + "]",
                                     '{"a": ' + "1" * 4301 + "}"])
def test_deep_or_huge_json_exits_2_naming_the_file(samples, tmp_path, monkeypatch, capsys, which, content):
    bad = tmp_path / f"{which}.json"
    bad.write_text(content)
    files = {"vk": samples.vk_json, "public": samples.public_json, "proof": samples.proof_json}
    files[which] = bad
    code, text = zkgate(monkeypatch, capsys, "groth16", "verify", files["vk"], files["public"], files["proof"])
    assert code == 2 and str(bad) in text


def test_study_request_file_deep_json_names_the_file(tmp_path):
    from zkgate.services.parties.study_request import StudyRequestError, build_request

    bad = tmp_path / "request.json"
    bad.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(StudyRequestError, match=str(bad)):
        build_request(str(bad), title=None, participants=(), ranges=(), equals=(), stats=(), quorum=None,
                      deadline=None, deadline_in=None)


def test_beacon_with_huge_iteration_count_is_refused_when_verifying(monkeypatch):
    """A file may declare 2^63 SHA-256 beacon iterations (snarkjs's range): verification refuses
    to recompute more than the configured limit instead of running for ever."""
    from zkgate.errors import InvalidInputError
    from zkgate.prover.ceremony.phase2 import rng_from_beacon

    monkeypatch.delenv("ZKGATE_MAX_BEACON_EXP", raising=False)
    with pytest.raises(InvalidInputError, match="ZKGATE_MAX_BEACON_EXP=63"):
        rng_from_beacon(b"\x01" * 32, 63, verifying=True)
    monkeypatch.setenv("ZKGATE_MAX_BEACON_EXP", "10")
    with pytest.raises(InvalidInputError, match="at most 2\\^10"):
        rng_from_beacon(b"\x01" * 32, 11, verifying=True)
    rng_from_beacon(b"\x01" * 32, 10, verifying=True)  # within the limit: computed
